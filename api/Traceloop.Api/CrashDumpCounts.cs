namespace Traceloop.Api;

/// <summary>
/// What became of the crash notices since the recorder started (part of <c>GET /healthz</c>).
/// Once the collector is idle, <see cref="Triggered"/> is the sum of the four outcomes.
/// </summary>
public sealed class CrashDumpCounts
{
    /// <summary>Notices whose trigger is on (a non-zero exit, a kill, an OOM kill, ...): each asked for one dump.</summary>
    public long Triggered { get; init; }

    /// <summary>Dumps written.</summary>
    public long Saved { get; init; }

    /// <summary>Refused: the container had no ring (it never got one, every slot being taken, or it was released): an empty dump is never written.</summary>
    public long NothingRecorded { get; init; }

    /// <summary>Refused: the data directory's file system was below its free-space floor.</summary>
    public long BelowFloor { get; init; }

    /// <summary>Taking or writing the dump failed (logged with the error).</summary>
    public long Failed { get; init; }

    /// <summary>Notices the crash collector had no room for: it fell behind a storm of them.</summary>
    public long NoticesDropped { get; init; }
}
