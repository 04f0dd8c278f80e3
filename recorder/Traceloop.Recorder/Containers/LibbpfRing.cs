using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>A ring map read through a read-only mapping made for each read and unmapped after it.</summary>
internal sealed class LibbpfRing(RingMap map) : IContainerRing
{
    public RingMap Map { get; } = map;

    public int RingSize => Map.RingSize;

    public unsafe RingSnapshot Snapshot()
    {
        using SafeMmapHandle mapping = Map.MapReadOnly();
        return RingSnapshot.Take(new ReadOnlySpan<byte>((void*)mapping.DangerousGetHandle(), Map.ValueSize));
    }

    public unsafe RingCounters ReadCounters()
    {
        using SafeMmapHandle mapping = Map.MapReadOnly();
        return RingCounters.Read(new ReadOnlySpan<byte>((void*)mapping.DangerousGetHandle(), RingCounters.HeaderBytes(Map.Geometry.SubRings)));
    }

    public void Dispose() => Map.Dispose();
}
