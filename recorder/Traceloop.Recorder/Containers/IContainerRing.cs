using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>One container's ring, as the recorder reads it: never paused, never consumed.</summary>
internal interface IContainerRing : IDisposable
{
    /// <summary>Bytes of data the ring holds when full.</summary>
    int RingSize { get; }

    /// <summary>A copy of every committed record. Throws <see cref="CorruptRingException"/> for a ring that breaks the layout.</summary>
    RingSnapshot Snapshot();

    /// <summary>The ring's counters, read from its header without copying any record.</summary>
    RingCounters ReadCounters();
}
