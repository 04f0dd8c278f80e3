using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// The slots of the kernel's rings map. A few rings are always made ahead of need and queued
/// in free_slots, so the kernel can give a new container its ring at cgroup_mkdir, before the
/// container's first syscall and without waiting for this process. Not thread-safe: the
/// registry's lock guards it.
/// </summary>
internal sealed class RingPool : IDisposable
{
    private readonly KernelProbes _probes;
    private readonly int _spareTarget;
    private readonly Stack<uint> _unused = new();
    private readonly Dictionary<uint, RingMap> _spares = [];

    public RingPool(KernelProbes probes, int spareTarget)
    {
        _probes = probes;
        _spareTarget = spareTarget;
        for (int slot = probes.Config.MaxSlots - 1; slot >= 0; slot--)
        {
            _unused.Push((uint)slot);
        }
    }

    public int RingSize => _probes.Config.RingSize;

    /// <summary>Slots with no ring at all.</summary>
    public int Unused => _unused.Count;

    /// <summary>Rings queued for the kernel.</summary>
    public int Spares => _spares.Count;

    /// <summary>Tops the kernel's queue up to the spare target while slots remain.</summary>
    public void Replenish()
    {
        while (_spares.Count < _spareTarget && _unused.Count > 0)
        {
            uint slot = _unused.Pop();
            RingMap ring = Install(slot);
            _spares[slot] = ring;
            _probes.FreeSlots.Push(slot);
        }
    }

    /// <summary>Takes the ring of a slot the kernel just handed out.</summary>
    public RingMap? ClaimSpare(uint slot) => _spares.Remove(slot, out RingMap? ring) ? ring : null;

    /// <summary>Makes a ring in an unused slot, for a container the kernel could not serve from the queue.</summary>
    public (uint Slot, RingMap Ring)? Allocate()
    {
        if (_unused.Count == 0)
        {
            return null;
        }
        uint slot = _unused.Pop();
        return (slot, Install(slot));
    }

    /// <summary>Removes a ring from the kernel's view and frees the slot.</summary>
    public void Release(uint slot, RingMap ring)
    {
        _probes.Rings.Delete(slot);
        ring.Dispose();
        _unused.Push(slot);
    }

    private RingMap Install(uint slot)
    {
        RingMap ring = RingMap.Create(RingSize);
        try
        {
            _probes.Rings.Update(slot, ring.Map.RawFd);
        }
        catch
        {
            ring.Dispose();
            _unused.Push(slot);
            throw;
        }
        return ring;
    }

    public void Dispose()
    {
        foreach (RingMap ring in _spares.Values)
        {
            ring.Dispose();
        }
        _spares.Clear();
    }
}
