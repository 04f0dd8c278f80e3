using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>
/// Takes live dumps and describes recorded containers: what every endpoint and the dump keeper
/// use, so a container is described and dumped the same way wherever it is asked for.
/// </summary>
internal sealed class DumpService(ContainerRegistry registry, ContainerNames names, PodCache pods, TimeProvider time, Redactor redactor)
{
    /// <summary>
    /// A snapshot of the container's ring, paired into events, redacted (<c>--redact</c>) and named
    /// as far as its names are known: live dumps, snapshots and crash dumps all start here.
    /// </summary>
    public ContainerDump Take(RecordedContainer container)
    {
        KubernetesIdentity? known = names.Of(container);
        tl_container kernel = registry.KernelState(container);
        RingSnapshot? snapshot = null;
        if (container.Ring is { } ring)
        {
            try
            {
                snapshot = ring.Snapshot();
            }
            catch (ObjectDisposedException)
            {
                // Released by the grace-period sweep while we were asked for it.
            }
        }
        TraceEvent[] events = snapshot is null ? [] : EventAssembler.Assemble(snapshot);
        var dump = new ContainerDump(container, snapshot, events, kernel, time.GetUtcNow()) { Names = known, Node = pods.NodeName };
        dump.Redact(redactor);
        return dump;
    }

    /// <summary>
    /// The container as a listing shows it, from the ring's header counters: no record is copied.
    /// A ring that cannot be read is reported in <see cref="ContainerInfo.RingError"/>, not thrown.
    /// </summary>
    public ContainerInfo Describe(RecordedContainer container)
    {
        KubernetesIdentity? known = names.Of(container);
        tl_container kernel = registry.KernelState(container);
        var figures = new RingFigures(0, 0, 0, (long)kernel.missed);
        string? error = null;
        if (container.Ring is { } ring)
        {
            try
            {
                RingCounters counters = ring.ReadCounters();
                figures = new RingFigures((long)counters.Size, counters.Fill, counters.Held, counters.Overwritten + (long)kernel.missed);
            }
            catch (ObjectDisposedException)
            {
                // Released meanwhile: it holds nothing any more.
            }
            catch (Exception e) when (e is CorruptRingException or BpfException)
            {
                error = e.Message;
            }
        }
        return ContainerInfoFactory.Create(container, known, kernel, figures, error);
    }
}
