using MessagePack;

namespace Traceloop.Api;

/// <summary>A recorded container, as <c>GET /containers</c> lists it.</summary>
[MessagePackObject]
public sealed class ContainerInfo
{
    /// <summary>The runtime's container id (64 hex digits for containerd, CRI-O, docker, podman).</summary>
    [Key(0)] public required string Id { get; init; }

    /// <summary>The Kubernetes pod uid, when the cgroup path names one.</summary>
    [Key(1)] public string? PodUid { get; init; }

    /// <summary>The container's cgroup v2 id: the key of its ring in the kernel.</summary>
    [Key(2)] public ulong CgroupId { get; init; }

    /// <summary>The cgroup path, relative to the cgroup v2 root.</summary>
    [Key(3)] public required string CgroupPath { get; init; }

    /// <summary>docker, containerd, cri-o, podman, or runc when the name gives no hint.</summary>
    [Key(4)] public string? Runtime { get; init; }

    /// <summary>Host pid of the first process that exec'd in the container.</summary>
    [Key(5)] public int? MainPid { get; init; }

    [Key(6)] public DateTimeOffset FirstSeen { get; init; }

    /// <summary>When the container's main process ended or its cgroup was removed.</summary>
    [Key(7)] public DateTimeOffset? ExitedAt { get; init; }

    /// <summary>Size of the ring's data area.</summary>
    [Key(8)] public long BufferBytes { get; init; }

    /// <summary>Share of the ring in use, 0 to 1; a full ring overwrites its oldest records.</summary>
    [Key(9)] public double BufferFill { get; init; }

    /// <summary>Records (syscall enters, exits, process exits) the ring holds now.</summary>
    [Key(10)] public long EventsHeld { get; init; }

    /// <summary>Records overwritten by newer ones, or dropped while the container had no ring yet.</summary>
    [Key(11)] public long EventsLost { get; init; }

    /// <summary>The main process's wait status (exit code &lt;&lt; 8 | signal), once it ended.</summary>
    [Key(12)] public int? ExitStatus { get; init; }
}
