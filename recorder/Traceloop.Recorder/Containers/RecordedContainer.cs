using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Containers;

/// <summary>A container the kernel records, with its ring. Mutable state is guarded by the registry's lock.</summary>
internal sealed class RecordedContainer
{
    public RecordedContainer(ulong cgroupId, string cgroupPath, ContainerIdentity identity, DateTimeOffset firstSeen)
    {
        CgroupId = cgroupId;
        CgroupPath = cgroupPath;
        Identity = identity;
        FirstSeen = firstSeen;
    }

    public ulong CgroupId { get; }

    public string CgroupPath { get; }

    public ContainerIdentity Identity { get; }

    public string Id => Identity.Id;

    public DateTimeOffset FirstSeen { get; }

    /// <summary>The rings map slot, or <see cref="Records.RecordLayout.SlotPending"/>.</summary>
    public uint Slot { get; set; } = Records.RecordLayout.SlotPending;

    public RingMap? Ring { get; set; }

    /// <summary>Cgroups created inside this container's; their tasks write to the same ring.</summary>
    public List<ulong> NestedCgroups { get; } = [];

    /// <summary>When the cgroup was removed: the container is over and its grace period runs.</summary>
    public DateTimeOffset? ExitedAt { get; set; }
}
