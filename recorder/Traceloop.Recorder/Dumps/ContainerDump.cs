using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>A container's history at one instant: its ring's snapshot, paired into events.</summary>
internal sealed class ContainerDump : IDisposable
{
    public ContainerDump(RecordedContainer container, RingSnapshot? snapshot, TraceEvent[] events, tl_container kernel, DateTimeOffset takenAt)
    {
        Container = container;
        Snapshot = snapshot;
        Events = events;
        Kernel = kernel;
        TakenAt = takenAt;
        Clock = BootClock.Now();
    }

    public RecordedContainer Container { get; }

    /// <summary>Null while the container has no ring (every slot in use).</summary>
    public RingSnapshot? Snapshot { get; }

    public TraceEvent[] Events { get; private set; }

    /// <summary>Why the dump is kept on disk; null for a live dump.</summary>
    public DumpTrigger? Trigger { get; set; }

    /// <summary>The saved dump's id; null for a live dump.</summary>
    public string? DumpId { get; set; }

    /// <summary>Drops the events after the first <paramref name="count"/>: a crash dump ends with the death.</summary>
    public void KeepFirst(int count)
    {
        if (count < Events.Length)
        {
            Events = Events[..Math.Max(0, count)];
            _http = null;
        }
    }

    public tl_container Kernel { get; }

    public DateTimeOffset TakenAt { get; }

    public BootClock Clock { get; }

    /// <summary>The records the events point into: the snapshot's, or their redacted copy.</summary>
    public ReadOnlySpan<byte> Buffer => _redacted ?? (Snapshot is null ? default : Snapshot.Buffer);

    private byte[]? _redacted;

    private Dictionary<int, HttpMessage>? _http;

    /// <summary>The HTTP messages recognised in the events' bytes, by event index; found once, from what the dump shows (redacted).</summary>
    public IReadOnlyDictionary<int, HttpMessage> HttpMessages => _http ??= HttpAnnotations.Find(Buffer, Events);

    /// <summary>The HTTP message of one event, if any.</summary>
    public HttpMessage? HttpAt(int index) => HttpMessages.TryGetValue(index, out HttpMessage? m) ? m : null;

    /// <summary>
    /// Applies the <c>--redact</c> patterns: the events are pointed at a redacted copy of their
    /// records, which every format is then written from. Done once, when the dump is taken,
    /// before anything reads it; nothing happens without patterns.
    /// </summary>
    public void Redact(Redactor redactor)
    {
        if (!redactor.Enabled || Snapshot is null || Events.Length == 0 || _redacted is not null)
        {
            return;
        }
        RedactionPass pass = redactor.Begin();
        _redacted = RedactedRecords.Rewrite(redactor, Snapshot.Buffer, Events, pass);
        _http = null;
        redactor.Finish(pass, Container.Id);
    }

    /// <summary>Events lost to overwriting plus those dropped before the container had a ring.</summary>
    public long EventsLost => (Snapshot?.Lost ?? 0) + (long)Kernel.missed;

    /// <summary>The newest <paramref name="last"/> events (all when null).</summary>
    public ArraySegment<TraceEvent> Window(int? last) =>
        last is { } n && n < Events.Length ? new ArraySegment<TraceEvent>(Events, Events.Length - n, n) : new ArraySegment<TraceEvent>(Events);

    /// <summary>Kubernetes names, resolved when the dump was taken (null in local mode or before the pod is known).</summary>
    public KubernetesIdentity? Names { get; init; }

    /// <summary>The node's cluster name when configured; the host name otherwise (in a pod that is the pod's).</summary>
    public string? Node { get; init; }

    public ContainerInfo ToInfo() => ContainerInfoFactory.Create(Container, Names, Kernel,
        new RingFigures(Snapshot?.RingSize ?? 0, Snapshot?.Fill ?? 0, Snapshot?.Records.Count ?? 0, EventsLost));

    public DumpHeader ToHeader(int? last)
    {
        ArraySegment<TraceEvent> window = Window(last);
        return new DumpHeader
        {
            Container = ToInfo(),
            TakenAt = TakenAt,
            WindowStart = window.Count > 0 ? Clock.ToWallClock(window[0].Timestamp) : null,
            WindowEnd = window.Count > 0 ? Clock.ToWallClock(Math.Max(window[^1].Timestamp, window[^1].EndTimestamp)) : null,
            Events = window.Count,
            EventsLost = EventsLost,
            TraceloopVersion = RecorderVersion.Value,
            Node = Node ?? Environment.MachineName,
            Trigger = Trigger,
            DumpId = DumpId,
            // Said only where it cuts into the window: from the window's start on, nothing is missing.
            CompleteFrom = Snapshot is { CompleteFrom: > 0 } s && window.Count > 0 && s.CompleteFrom > window[0].Timestamp
                ? Clock.ToWallClock(s.CompleteFrom)
                : null,
        };
    }

    public void Dispose() => Snapshot?.Dispose();
}
