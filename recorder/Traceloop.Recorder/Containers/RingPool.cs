namespace Traceloop.Recorder.Containers;

/// <summary>
/// The slots of the kernel's rings map. A few rings are always made ahead of need and queued
/// in free_slots, so the kernel can give a new container its ring at cgroup_mkdir, before the
/// container's first syscall and without waiting for this process. Not thread-safe: the
/// registry's lock guards it.
/// </summary>
internal sealed class RingPool : IDisposable
{
    private readonly IRecordingKernel _kernel;
    private readonly int _spareTarget;
    private readonly Stack<uint> _unused = new();
    private readonly Dictionary<uint, IContainerRing> _spares = [];

    public RingPool(IRecordingKernel kernel, int spareTarget)
    {
        _kernel = kernel;
        _spareTarget = spareTarget;
        for (int slot = kernel.MaxSlots - 1; slot >= 0; slot--)
        {
            _unused.Push((uint)slot);
        }
    }

    public int RingSize => _kernel.RingSize;

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
            IContainerRing ring = Install(slot);
            _spares[slot] = ring;
            _kernel.QueueSpareSlot(slot);
        }
    }

    /// <summary>
    /// Takes over the slots of a previous recorder: rings in use by a container (the caller keeps
    /// them), rings queued for the kernel or already handed out by it and not yet claimed (spares
    /// here, claimed by <see cref="ClaimSpare"/> as usual). Every other slot stays unused.
    /// </summary>
    public void Inherit(IEnumerable<uint> inUse, IReadOnlyDictionary<uint, IContainerRing> spares)
    {
        var taken = new HashSet<uint>(inUse);
        foreach ((uint slot, IContainerRing ring) in spares)
        {
            _spares[slot] = ring;
            taken.Add(slot);
        }
        uint[] unused = [.. _unused.Where(s => !taken.Contains(s)).Reverse()];
        _unused.Clear();
        foreach (uint slot in unused)
        {
            _unused.Push(slot);
        }
    }

    /// <summary>Takes the ring of a slot the kernel just handed out.</summary>
    public IContainerRing? ClaimSpare(uint slot) => _spares.Remove(slot, out IContainerRing? ring) ? ring : null;

    /// <summary>Makes a ring in an unused slot, for a container the kernel could not serve from the queue.</summary>
    public (uint Slot, IContainerRing Ring)? Allocate()
    {
        if (_unused.Count == 0)
        {
            return null;
        }
        uint slot = _unused.Pop();
        return (slot, Install(slot));
    }

    /// <summary>Removes a ring from the kernel's view and frees the slot.</summary>
    public void Release(uint slot, IContainerRing ring)
    {
        _kernel.UnpublishRing(slot);
        ring.Dispose();
        _unused.Push(slot);
    }

    private IContainerRing Install(uint slot)
    {
        IContainerRing? ring = null;
        try
        {
            ring = _kernel.CreateRing();
            _kernel.PublishRing(slot, ring);
            return ring;
        }
        catch
        {
            // Out of kernel memory, say: the slot stays usable for a later try.
            ring?.Dispose();
            _unused.Push(slot);
            throw;
        }
    }

    public void Dispose()
    {
        foreach (IContainerRing ring in _spares.Values)
        {
            ring.Dispose();
        }
        _spares.Clear();
    }
}
