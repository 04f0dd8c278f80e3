using MessagePack;

namespace Traceloop.Api;

/// <summary>A recorded container, as <c>GET /containers</c> lists it.</summary>
[MessagePackObject]
public sealed record ContainerInfo
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

    /// <summary>
    /// Share of the ring in use, 0 to 1: that of its fullest per-CPU part, so a full ring
    /// overwrites its oldest records (in that part; see <see cref="DumpHeader.CompleteFrom"/>).
    /// </summary>
    [Key(9)] public double BufferFill { get; init; }

    /// <summary>Records (syscall enters, exits, process exits) the ring holds now.</summary>
    [Key(10)] public long EventsHeld { get; init; }

    /// <summary>Records overwritten by newer ones, or dropped while the container had no ring yet.</summary>
    [Key(11)] public long EventsLost { get; init; }

    /// <summary>The main process's wait status (exit code &lt;&lt; 8 | signal), once it ended.</summary>
    [Key(12)] public int? ExitStatus { get; init; }

    /// <summary>Kubernetes namespace, when the pod object is known (null in local mode, or before it arrives).</summary>
    [Key(13)] public string? Namespace { get; init; }

    /// <summary>Kubernetes pod name.</summary>
    [Key(14)] public string? Pod { get; init; }

    /// <summary>The container's name in its pod spec.</summary>
    [Key(15)] public string? Container { get; init; }

    /// <summary>The pod's labels.</summary>
    [Key(16)] public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [Key(17)] public string? Image { get; init; }

    [Key(18)] public int? RestartCount { get; init; }

    /// <summary>The node the pod runs on.</summary>
    [Key(19)] public string? Node { get; init; }

    /// <summary>init, regular or ephemeral.</summary>
    [Key(20)] public string? ContainerKind { get; init; }

    /// <summary>When recording of this container began (null from a recorder that did not say).</summary>
    [Key(21)] public DateTimeOffset? RecordingSince { get; init; }

    /// <summary>How recording began, one of <see cref="RecordingOrigins"/>: whether events older than <see cref="RecordingSince"/> ever existed in the ring.</summary>
    [Key(22)] public string? RecordingOrigin { get; init; }

    /// <summary>
    /// The part of <see cref="EventsLost"/> the kernel dropped before the container had a ring; the
    /// rest were overwritten by newer events.
    /// </summary>
    [Key(23)] public long EventsMissed { get; init; }

    /// <summary>
    /// What the kernel copies from this container's memory: <c>full</c>, <c>no-payload</c> (no
    /// buffer contents: those arguments are addresses), <c>no-argv</c> (execve arguments counted,
    /// not kept) or <c>no-payload,no-argv</c>. Null from a recorder that did not say. A level set
    /// while the container ran applies from then on.
    /// </summary>
    [Key(24)] public string? CaptureLevel { get; init; }

    /// <summary>
    /// Why the ring could not be read, when it could not: a listing reports that container's row
    /// with this set (and the ring's figures zero) and serves the others as usual. Listings are
    /// JSON only; a dump's header never has it (a ring that cannot be read cannot be dumped), so it
    /// stays out of the MessagePack layout.
    /// </summary>
    [IgnoreMember]
    public string? RingError { get; init; }

    /// <summary>"namespace/pod/container" when known, else the container id.</summary>
    [IgnoreMember]
    public string DisplayName => Namespace is not null && Pod is not null ? $"{Namespace}/{Pod}/{Container ?? Id}" : Id;
}

/// <summary>The values of <see cref="ContainerInfo.RecordingOrigin"/>.</summary>
public static class RecordingOrigins
{
    /// <summary>The container's ring came with its cgroup: recording began with its first syscall.</summary>
    public const string FirstSyscall = "first-syscall";

    /// <summary>The container already ran when a recorder without pinned state started: its earlier events were never recorded.</summary>
    public const string Adopted = "adopted";

    /// <summary>No ring was ready when the container started: its events until one came are counted in <see cref="ContainerInfo.EventsMissed"/>.</summary>
    public const string LateRing = "late-ring";

    /// <summary>A sentence for a dump's header: how recording began, and what that means for older events.</summary>
    public static string Describe(string origin) => origin switch
    {
        FirstSyscall => "with the container's first syscall; nothing before it was missed",
        Adopted => "when the recorder found the container already running; what it did before was never recorded",
        LateRing => "when a ring became free after the container started; its events before that were counted, not recorded",
        _ => origin,
    };
}

/// <summary>The values of <see cref="ContainerInfo.CaptureLevel"/>.</summary>
public static class CaptureLevelNames
{
    public const string Full = "full";

    /// <summary>The kernel copied no buffer contents (read, write, send, recv and their vectors, msghdr control data).</summary>
    public const string NoPayload = "no-payload";

    /// <summary>The kernel kept only how many arguments each execve had.</summary>
    public const string NoArgv = "no-argv";

    public const string NoPayloadNoArgv = NoPayload + "," + NoArgv;

    /// <summary>A sentence for a dump's header: what the level left out.</summary>
    public static string Describe(string level) => level switch
    {
        Full => "everything the capture plan names was copied",
        NoPayload => "the kernel copied no buffer contents; those arguments show as addresses",
        NoArgv => "the kernel kept only how many arguments each execve had",
        NoPayloadNoArgv => "the kernel copied no buffer contents (those arguments show as addresses) and no execve arguments",
        _ => level,
    };
}

/// <summary>The filters of <c>GET /containers</c>; null means any.</summary>
/// <param name="Selector">A label selector as kubectl takes it (<c>app=web,tier!=db</c>).</param>
public sealed record ContainerQuery(
    string? Namespace = null,
    string? Pod = null,
    string? Container = null,
    string? Selector = null);
