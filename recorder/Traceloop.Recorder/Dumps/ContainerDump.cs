using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>A container's history at one instant: its ring's snapshot, paired into events.</summary>
internal sealed class ContainerDump : IDisposable
{
    private ContainerDump(RecordedContainer container, RingSnapshot? snapshot, TraceEvent[] events, tl_container kernel, DateTimeOffset takenAt)
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
        }
    }

    public tl_container Kernel { get; }

    public DateTimeOffset TakenAt { get; }

    public BootClock Clock { get; }

    public ReadOnlySpan<byte> Buffer => Snapshot is null ? default : Snapshot.Buffer;

    /// <summary>Events lost to overwriting plus those dropped before the container had a ring.</summary>
    public long EventsLost => (Snapshot?.Lost ?? 0) + (long)Kernel.missed;

    /// <param name="pods">The pod cache, to name the container (null in local mode).</param>
    public static ContainerDump Take(RecordedContainer container, ContainerRegistry registry, TimeProvider time, PodCache? pods = null)
    {
        KubernetesIdentity? names = pods is null ? null : KubernetesIdentity.Resolve(pods, container);
        tl_container kernel = registry.KernelState(container);
        RingMap? ring = container.Ring;
        if (ring is null)
        {
            return new ContainerDump(container, null, [], kernel, time.GetUtcNow()) { Names = names, Node = pods?.NodeName };
        }
        RingSnapshot snapshot;
        try
        {
            using SafeMmapHandle mapping = ring.MapReadOnly();
            unsafe
            {
                snapshot = RingSnapshot.Take(new ReadOnlySpan<byte>((void*)mapping.DangerousGetHandle(), ring.ValueSize));
            }
        }
        catch (ObjectDisposedException)
        {
            // Released by the grace-period sweep while we were asked for it.
            return new ContainerDump(container, null, [], kernel, time.GetUtcNow()) { Names = names, Node = pods?.NodeName };
        }
        return new ContainerDump(container, snapshot, EventAssembler.Assemble(snapshot), kernel, time.GetUtcNow()) { Names = names, Node = pods?.NodeName };
    }

    /// <summary>The newest <paramref name="last"/> events (all when null).</summary>
    public ArraySegment<TraceEvent> Window(int? last) =>
        last is { } n && n < Events.Length ? new ArraySegment<TraceEvent>(Events, Events.Length - n, n) : new ArraySegment<TraceEvent>(Events);

    /// <summary>Kubernetes names, resolved when the dump was taken (null in local mode or before the pod is known).</summary>
    public KubernetesIdentity? Names { get; private init; }

    /// <summary>The node's cluster name when configured; the host name otherwise (in a pod that is the pod's).</summary>
    public string? Node { get; private init; }

    public ContainerInfo ToInfo() => new()
    {
        Namespace = Names?.Pod.Namespace,
        Pod = Names?.Pod.Name,
        Container = Names?.Container?.Name,
        Labels = Names?.Pod.Labels,
        Image = Names?.Container?.Image,
        RestartCount = Names?.Container?.RestartCount,
        Node = Names?.Pod.NodeName,
        ContainerKind = Names?.Container?.Kind.ToString().ToLowerInvariant(),
        Id = Container.Id,
        PodUid = Container.Identity.PodUid,
        CgroupId = Container.CgroupId,
        CgroupPath = Container.CgroupPath,
        Runtime = Container.Identity.Runtime,
        MainPid = Kernel.main_pid != 0 ? (int)Kernel.main_pid : Container.MainPid,
        FirstSeen = Container.FirstSeen,
        ExitedAt = Container.ExitedAt,
        BufferBytes = Snapshot?.RingSize ?? 0,
        BufferFill = Snapshot?.Fill ?? 0,
        EventsHeld = Snapshot?.Records.Count ?? 0,
        EventsLost = EventsLost,
        ExitStatus = Container.ExitStatus,
    };

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
        };
    }

    public void Dispose() => Snapshot?.Dispose();
}
