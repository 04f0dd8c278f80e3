using Traceloop.Api;

namespace Traceloop.Recorder.Crashes;

/// <summary>
/// What became of the crash notices since start, served in <c>GET /healthz</c>: every notice
/// that asks for a dump ends as exactly one of saved, nothing recorded, below the floor or
/// failed, each also logged with its container; notices the collector had no room for are
/// counted apart. So "a crash with no dump" is always either a refusal counted here or a bug.
/// </summary>
internal sealed class CrashCounts
{
    private long _triggered;
    private long _saved;
    private long _nothingRecorded;
    private long _belowFloor;
    private long _failed;
    private long _dropped;

    public void Triggered() => Interlocked.Increment(ref _triggered);

    public void Saved() => Interlocked.Increment(ref _saved);

    public void NothingRecorded() => Interlocked.Increment(ref _nothingRecorded);

    public void BelowFloor() => Interlocked.Increment(ref _belowFloor);

    public void Failed() => Interlocked.Increment(ref _failed);

    public void Dropped(long count) => Interlocked.Add(ref _dropped, count);

    public CrashDumpCounts Read() => new()
    {
        Triggered = Interlocked.Read(ref _triggered),
        Saved = Interlocked.Read(ref _saved),
        NothingRecorded = Interlocked.Read(ref _nothingRecorded),
        BelowFloor = Interlocked.Read(ref _belowFloor),
        Failed = Interlocked.Read(ref _failed),
        NoticesDropped = Interlocked.Read(ref _dropped),
    };
}
