using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Containers;

/// <summary>A container the kernel records, with its ring. Mutable state is guarded by the registry's lock.</summary>
internal sealed class RecordedContainer
{
    private int _awaitedNotices;

    public RecordedContainer(ulong cgroupId, string cgroupPath, ContainerIdentity identity, DateTimeOffset firstSeen,
        RecordingOrigin origin = RecordingOrigin.FirstSyscall, DateTimeOffset? recordingSince = null)
    {
        CgroupId = cgroupId;
        CgroupPath = cgroupPath;
        Identity = identity;
        FirstSeen = firstSeen;
        Origin = origin;
        RecordingSince = recordingSince ?? firstSeen;
    }

    public ulong CgroupId { get; }

    public string CgroupPath { get; }

    public ContainerIdentity Identity { get; }

    public string Id => Identity.Id;

    public DateTimeOffset FirstSeen { get; }

    /// <summary>How its recording began: with its first syscall, or later (and then its older events are not in any dump).</summary>
    public RecordingOrigin Origin { get; set; }

    /// <summary>When recording began.</summary>
    public DateTimeOffset RecordingSince { get; set; }

    /// <summary>The rings map slot, or <see cref="RecordLayout.SlotPending"/>.</summary>
    public uint Slot { get; set; } = RecordLayout.SlotPending;

    public IContainerRing? Ring { get; set; }

    /// <summary>What the kernel leaves out of its records now (its kernel entry holds the same).</summary>
    public CaptureLevel CaptureLevel { get; set; }

    /// <summary>Cgroups created inside this container's; their tasks write to the same ring.</summary>
    public List<ulong> NestedCgroups { get; } = [];

    /// <summary>When the main process ended or the cgroup was removed: the grace period runs from here.</summary>
    public DateTimeOffset? ExitedAt { get; set; }

    /// <summary>The main process's wait status, once the kernel saw it end.</summary>
    public int? ExitStatus { get; set; }

    /// <summary>Host pid of the main process, as far as the recorder knows it.</summary>
    public int? MainPid { get; set; }

    /// <summary>
    /// Notices about this container queued for a consumer that needs its ring (the crash collector)
    /// and not handled yet. While any is, the registry neither evicts nor sweeps the container:
    /// a crash whose dump is still to be taken keeps its history.
    /// </summary>
    public int AwaitedNotices => Volatile.Read(ref _awaitedNotices);

    internal void BeginAwait() => Interlocked.Increment(ref _awaitedNotices);

    internal void EndAwait() => Interlocked.Decrement(ref _awaitedNotices);
}
