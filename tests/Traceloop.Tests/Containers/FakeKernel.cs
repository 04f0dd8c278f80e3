using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Containers;

/// <summary>
/// The kernel seam as dictionaries and byte arrays: the containers map, the rings map, the
/// free-slot queue and the excluded-pods map, with rings written by <see cref="RingBuilder"/>
/// the way the BPF programs write them. <see cref="FailRingCreation"/> plays a kernel out of memory.
/// </summary>
internal sealed class FakeKernel(int ringSize = 4096, int maxSlots = 8, int subRings = 1) : IRecordingKernel
{
    public int RingSize { get; } = ringSize;

    public int MaxSlots { get; } = maxSlots;

    public IReadOnlyList<string> AttachedPrograms { get; } = ["tl_sys_enter", "tl_sys_exit"];

    public Dictionary<ulong, tl_container> Containers { get; } = [];

    public Dictionary<uint, FakeRing> Rings { get; } = [];

    public Queue<uint> FreeSlots { get; } = new();

    public HashSet<string> ExcludedPodCgroups { get; } = [];

    public int RingsCreated { get; private set; }

    /// <summary>When set, making a ring fails as bpf_map_create does without memory.</summary>
    public bool FailRingCreation { get; set; }

    public IContainerRing CreateRing()
    {
        if (FailRingCreation)
        {
            throw new BpfException("creating a 4 KiB ring buffer failed: Cannot allocate memory", 12);
        }
        RingsCreated++;
        return new FakeRing(RingSize, subRings);
    }

    public void PublishRing(uint slot, IContainerRing ring) => Rings[slot] = (FakeRing)ring;

    public void UnpublishRing(uint slot) => Rings.Remove(slot);

    public void QueueSpareSlot(uint slot) => FreeSlots.Enqueue(slot);

    public bool TryAddContainer(ulong cgroupId, tl_container value) => Containers.TryAdd(cgroupId, value);

    public void UpdateContainer(ulong cgroupId, tl_container value)
    {
        if (!Containers.ContainsKey(cgroupId))
        {
            throw new BpfException($"updating cgroup {cgroupId}: No such file or directory", Errno.ENOENT);
        }
        Containers[cgroupId] = value;
    }

    public void RemoveContainer(ulong cgroupId) => Containers.Remove(cgroupId);

    public bool TryGetContainer(ulong cgroupId, out tl_container value) => Containers.TryGetValue(cgroupId, out value);

    public unsafe void ExcludePodCgroup(tl_pod_name name) => ExcludedPodCgroups.Add(NameOf(name));

    public void IncludePodCgroup(tl_pod_name name) => ExcludedPodCgroups.Remove(NameOf(name));

    /// <summary>The capture_levels map: pod cgroup name ("" for the default) → level.</summary>
    public Dictionary<string, CaptureLevel> CaptureLevels { get; } = [];

    public void SetCaptureLevel(tl_pod_name name, CaptureLevel level) => CaptureLevels[NameOf(name)] = level;

    public void ClearCaptureLevel(tl_pod_name name) => CaptureLevels.Remove(NameOf(name));

    public long ControlDrops { get; set; }

    public IReadOnlyList<(ulong CgroupId, tl_container Entry)> ListContainers() => [.. Containers.Select(kv => (kv.Key, kv.Value))];

    /// <summary>slot → owner, as the recorder recorded it (the slot_owners map).</summary>
    public Dictionary<uint, tl_slot_owner> Owners { get; } = [];

    /// <summary>Set by <see cref="Restart"/>: the next registry takes the state over, as from pins.</summary>
    public bool Pinned { get; private set; }

    /// <summary>The recorder died; its state stays in the kernel for the next one to take over.</summary>
    public void Restart() => Pinned = true;

    public void SetSlotOwner(uint slot, in tl_slot_owner owner)
    {
        if (owner.cgroup_id == 0)
        {
            Owners.Remove(slot);
        }
        else
        {
            Owners[slot] = owner;
        }
    }

    public KernelInheritance? Inherit()
    {
        if (!Pinned)
        {
            return null;
        }
        Pinned = false;
        return new KernelInheritance(Rings.ToDictionary(kv => kv.Key, kv => (IContainerRing)kv.Value), [.. FreeSlots], new Dictionary<uint, tl_slot_owner>(Owners));
    }

    /// <summary>
    /// What tl_cgroup_mkdir does for a cgroup named like a container: takes the next queued slot
    /// (or marks it pending when the queue is empty), adds its entry with the capture level of its
    /// pod cgroup (<paramref name="podCgroup"/>, else the default; a nested cgroup's parent's), and
    /// returns the notice it sends.
    /// </summary>
    public tl_control Mkdir(ulong cgroupId, ulong parentId = 0, string? podCgroup = null)
    {
        uint slot = parentId != 0 ? Containers[parentId].slot : FreeSlots.TryDequeue(out uint s) ? s : RecordLayout.SlotPending;
        CaptureLevel level = parentId != 0 ? Containers[parentId].level
            : podCgroup is not null && CaptureLevels.TryGetValue(podCgroup, out CaptureLevel own) ? own
            : CaptureLevels.GetValueOrDefault("");
        Containers[cgroupId] = new tl_container { slot = slot, parent = parentId, level = level };
        return new tl_control { kind = ControlKind.CgroupNew, cgroup_id = cgroupId, parent_id = parentId, slot = parentId != 0 ? 0 : slot };
    }

    /// <summary>The ring a container writes into, by its kernel entry.</summary>
    public FakeRing RingOf(ulong cgroupId) => Rings[Containers[cgroupId].slot];

    private static unsafe string NameOf(tl_pod_name name) =>
        System.Text.Encoding.ASCII.GetString(new ReadOnlySpan<byte>(name.name, tl_pod_name.Length)).TrimEnd('\0');
}

/// <summary>A ring as a byte array; counts the copies made of it.</summary>
internal sealed class FakeRing(int size, int subRings = 1) : IContainerRing
{
    public RingBuilder Builder { get; } = new(size, subRings: subRings);

    public int RingSize => Builder.Size;

    public int Snapshots { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>Runs at the start of every copy, on the copying thread: a test's probe of who copies when.</summary>
    public Action? OnSnapshot { get; set; }

    public RingSnapshot Snapshot()
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        OnSnapshot?.Invoke();
        Snapshots++;
        return RingSnapshot.Take(Builder.Mapping);
    }

    public RingCounters ReadCounters()
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        return RingCounters.Read(Builder.Mapping);
    }

    public void Dispose() => Disposed = true;
}
