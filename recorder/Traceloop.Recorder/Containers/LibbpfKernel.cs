using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>The kernel seam over the loaded BPF object: each call is one map operation.</summary>
internal sealed class LibbpfKernel(KernelProbes probes) : IRecordingKernel
{
    /// <summary>The recorder's entry of containers_gen: the kernel's is [0].</summary>
    private const uint RecorderGeneration = 1;

    private readonly Lock _generationLock = new();
    // Continued from the map, not restarted: a recorder that takes over must never write a value
    // that some CPU's cached view was read under.
    private ulong _generation = probes.ContainersGeneration.TryLookup(RecorderGeneration, out ulong g) ? g : 0;
    private bool _inherited;
    // unrecorded_tasks' one entry on every CPU, zeroed: a pt_regs address (8 bytes) per possible CPU.
    private readonly byte[] _noUnrecordedTasks = new byte[PossibleCpus.Count * sizeof(ulong)];

    public int RingSize => probes.Config.RingSize;

    public int MaxSlots => probes.Config.MaxSlots;

    public IReadOnlyList<string> AttachedPrograms => probes.AttachedPrograms;

    public IContainerRing CreateRing() => new LibbpfRing(RingMap.Create(probes.Config.Rings));

    public void PublishRing(uint slot, IContainerRing ring)
    {
        int fd = ((LibbpfRing)ring).Map.Map.RawFd;
        // Pinned first: a recorder killed between the two leaves a pin the next one finds stale.
        probes.Pins?.PinRing(slot, fd);
        probes.Rings.Update(slot, fd);
    }

    public void UnpublishRing(uint slot)
    {
        probes.Rings.Delete(slot);
        probes.Pins?.UnpinRing(slot);
    }

    public void QueueSpareSlot(uint slot) => probes.FreeSlots.Push(slot);

    public bool TryAddContainer(ulong cgroupId, tl_container value)
    {
        try
        {
            probes.Containers.Update(cgroupId, value, Interop.Libbpf.BPF_NOEXIST);
            ContainersChanged();
            return true;
        }
        catch (BpfException e) when (e.Errno == Errno.EEXIST)
        {
            return false;
        }
    }

    public void UpdateContainer(ulong cgroupId, tl_container value)
    {
        probes.Containers.Update(cgroupId, value, Interop.Libbpf.BPF_EXIST);
        ContainersChanged();
    }

    public void RemoveContainer(ulong cgroupId)
    {
        probes.Containers.Delete(cgroupId);
        ContainersChanged();
    }

    /// <summary>
    /// After a write of the containers map: a new generation, so that no CPU goes on using its view
    /// of the entry from before (a released container, a tightened capture level), then every CPU's
    /// unrecorded task forgotten, since a task there may be in a container just added. In that
    /// order: a program that remembers a task while this runs sees the new generation, or its entry
    /// is cleared after it. Under a lock, so that two writers never store their generations out of order.
    /// </summary>
    private void ContainersChanged()
    {
        lock (_generationLock)
        {
            probes.ContainersGeneration.Update(RecorderGeneration, ++_generation);
            probes.UnrecordedTasks.UpdateRaw(0u, _noUnrecordedTasks);
        }
    }

    public bool TryGetContainer(ulong cgroupId, out tl_container value) => probes.Containers.TryLookup(cgroupId, out value);

    public void ExcludePodCgroup(tl_pod_name name) => probes.ExcludedPods.Update(name, (byte)1);

    public void IncludePodCgroup(tl_pod_name name) => probes.ExcludedPods.Delete(name);

    public void SetCaptureLevel(tl_pod_name name, CaptureLevel level) => probes.CaptureLevels.Update(name, (uint)level);

    public void ClearCaptureLevel(tl_pod_name name) => probes.CaptureLevels.Delete(name);

    public long ControlDrops => probes.ControlDrops.TryLookup(0u, out ulong drops) ? (long)drops : 0;

    public IReadOnlyList<(ulong CgroupId, tl_container Entry)> ListContainers()
    {
        var entries = new List<(ulong, tl_container)>();
        foreach (ulong id in probes.Containers.Keys<ulong>())
        {
            // An entry deleted between the two calls is simply not listed.
            if (probes.Containers.TryLookup(id, out tl_container entry))
            {
                entries.Add((id, entry));
            }
        }
        return entries;
    }

    public void SetSlotOwner(uint slot, in tl_slot_owner owner) => probes.SlotOwners.Update(slot, owner);

    public KernelInheritance? Inherit()
    {
        if (!probes.TakenOver || probes.Pins is not { } pins || _inherited)
        {
            return null;
        }
        _inherited = true;
        // The queue can only be read by emptying it; it is put back as it was at once. A container
        // made meanwhile finds it empty and gets its ring from the registry, its first events counted as lost.
        var spares = new List<uint>();
        while (probes.FreeSlots.TryPop(out uint queued))
        {
            spares.Add(queued);
        }
        foreach (uint queued in spares)
        {
            probes.FreeSlots.Push(queued);
        }
        var rings = new Dictionary<uint, IContainerRing>();
        foreach (string name in pins.List("rings"))
        {
            if (!uint.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint slot)
                || slot >= (uint)MaxSlots)
            {
                continue;
            }
            RingMap? ring = RingMap.OpenPinned(pins, slot, probes.Config.Rings);
            // Only the ring the kernel writes counts: a recorder killed between pinning and
            // publishing a ring, or between unpublishing and unpinning one, leaves a stale pin.
            if (ring is null || !probes.Rings.TryLookup(slot, out uint publishedId) || publishedId != ring.Map.Info().id)
            {
                ring?.Dispose();
                pins.UnpinRing(slot);
                continue;
            }
            rings[slot] = new LibbpfRing(ring);
        }
        var owners = new Dictionary<uint, tl_slot_owner>();
        for (uint slot = 0; slot < (uint)MaxSlots; slot++)
        {
            if (probes.SlotOwners.TryLookup(slot, out tl_slot_owner owner) && owner.cgroup_id != 0)
            {
                owners[slot] = owner;
            }
        }
        return new KernelInheritance(rings, spares, owners);
    }
}
