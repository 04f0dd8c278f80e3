using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// What the container side needs from the kernel: the maps that say which cgroup records into
/// which ring, the rings themselves, and the pods the kernel must not adopt. The real one is
/// <see cref="LibbpfKernel"/> over the loaded BPF object; tests use a double that keeps the maps
/// in dictionaries and the rings in byte arrays.
/// </summary>
internal interface IRecordingKernel
{
    /// <summary>Bytes of data in each ring (a power of two).</summary>
    int RingSize { get; }

    /// <summary>Slots of the rings map: rings that can exist at once.</summary>
    int MaxSlots { get; }

    /// <summary>The BPF programs attached, by name.</summary>
    IReadOnlyList<string> AttachedPrograms { get; }

    /// <summary>Makes a ring with its random key set, not yet visible to the kernel programs.</summary>
    IContainerRing CreateRing();

    /// <summary>Puts a ring in a slot of the rings map.</summary>
    void PublishRing(uint slot, IContainerRing ring);

    /// <summary>Empties a slot of the rings map.</summary>
    void UnpublishRing(uint slot);

    /// <summary>Queues a slot whose ring is published, for the kernel to hand to the next container it adopts.</summary>
    void QueueSpareSlot(uint slot);

    /// <summary>Adds a cgroup's entry; false when the kernel made one first.</summary>
    bool TryAddContainer(ulong cgroupId, tl_container value);

    /// <summary>Replaces an existing cgroup's entry.</summary>
    void UpdateContainer(ulong cgroupId, tl_container value);

    void RemoveContainer(ulong cgroupId);

    bool TryGetContainer(ulong cgroupId, out tl_container value);

    /// <summary>From now on the kernel refuses containers created under a pod cgroup of this name.</summary>
    void ExcludePodCgroup(tl_pod_name name);

    void IncludePodCgroup(tl_pod_name name);

    /// <summary>Containers created under a pod cgroup of this name get this level; the all-zero name sets the default.</summary>
    void SetCaptureLevel(tl_pod_name name, CaptureLevel level);

    void ClearCaptureLevel(tl_pod_name name);

    /// <summary>Notices the kernel could not queue for want of room in the control ring, since it was loaded.</summary>
    long ControlDrops { get; }

    /// <summary>Every entry of the containers map: containers and the cgroups nested in them.</summary>
    IReadOnlyList<(ulong CgroupId, tl_container Entry)> ListContainers();

    /// <summary>
    /// What a previous recorder left recording: the published rings by slot, the slots queued for
    /// the kernel, and the owner recorded for each slot. Null when this recorder loaded the
    /// programs itself; given once, after which the caller owns the rings.
    /// </summary>
    KernelInheritance? Inherit();

    /// <summary>Records which container a slot's ring belongs to (a zero owner: none), for the recorder that takes over next.</summary>
    void SetSlotOwner(uint slot, in tl_slot_owner owner);
}

/// <summary>The recording a restarted recorder takes over (see <see cref="IRecordingKernel.Inherit"/>).</summary>
/// <param name="Rings">slot → the ring the kernel writes there.</param>
/// <param name="QueuedSpares">Slots waiting in the kernel's queue, in queue order.</param>
/// <param name="Owners">slot → the container the previous recorder recorded there.</param>
internal sealed record KernelInheritance(
    IReadOnlyDictionary<uint, IContainerRing> Rings,
    IReadOnlyList<uint> QueuedSpares,
    IReadOnlyDictionary<uint, tl_slot_owner> Owners);
