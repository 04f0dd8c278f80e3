using MessagePack;

namespace Traceloop.Api;

/// <summary>
/// First object of a dump: what was recorded and how complete it is. In the MessagePack
/// format it is followed by <see cref="Events"/> <see cref="TraceEventDto"/> objects.
/// </summary>
[MessagePackObject]
public sealed class DumpHeader
{
    /// <summary>Bumped when a field changes meaning; new fields take new keys.</summary>
    public const int CurrentFormatVersion = 1;

    [Key(0)] public int FormatVersion { get; init; } = CurrentFormatVersion;

    [Key(1)] public required ContainerInfo Container { get; init; }

    /// <summary>When the snapshot was taken.</summary>
    [Key(2)] public DateTimeOffset TakenAt { get; init; }

    /// <summary>Time of the oldest and newest event held (null when the ring is empty).</summary>
    [Key(3)] public DateTimeOffset? WindowStart { get; init; }

    [Key(4)] public DateTimeOffset? WindowEnd { get; init; }

    /// <summary>Events in this dump (after <c>last</c> was applied).</summary>
    [Key(5)] public int Events { get; init; }

    /// <summary>Records lost before the window: overwritten, or dropped before the ring existed.</summary>
    [Key(6)] public long EventsLost { get; init; }

    [Key(7)] public required string TraceloopVersion { get; init; }

    /// <summary>The host the recorder runs on.</summary>
    [Key(8)] public string? Node { get; init; }

    /// <summary>Why the dump was kept; null for a live dump.</summary>
    [Key(9)] public DumpTrigger? Trigger { get; init; }

    /// <summary>The saved dump's id; null for a live dump.</summary>
    [Key(10)] public string? DumpId { get; init; }

    /// <summary>
    /// From when the window holds every event the container made; null when it does from
    /// <see cref="WindowStart"/> on. A ring is split into per-CPU sub-rings that wrap at their
    /// CPUs' own pace: before this time a busy CPU's sub-ring has overwritten events that the
    /// others' older events around them would lead one to expect.
    /// </summary>
    [Key(11)] public DateTimeOffset? CompleteFrom { get; init; }
}
