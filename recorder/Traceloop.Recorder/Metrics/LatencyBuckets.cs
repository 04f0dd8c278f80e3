using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Metrics;

/// <summary>
/// The kernel's log2 latency buckets as a Prometheus histogram. The kernel keeps counts per
/// bucket and the exact total time, not single observations, so each scrape replays what
/// changed since the last one: per bucket, one observation of that many calls at a value inside
/// the bucket, the values chosen so that their total is the kernel's time exactly. The
/// histogram's buckets, count and sum then equal the kernel's.
/// </summary>
internal static class LatencyBuckets
{
    /// <summary>Upper bounds in seconds: 2^10 ns, 2^11 ns, ... 2^32 ns; the kernel's last bucket is +Inf.</summary>
    public static readonly double[] Bounds =
        [.. Enumerable.Range(SyscallMetricsLayout.FirstShift, SyscallMetricsLayout.Buckets - 1).Select(shift => Math.Pow(2, shift) / 1e9)];

    /// <summary>
    /// (value, count) pairs that put <paramref name="counts"/>[b] calls in bucket b with values
    /// totalling <paramref name="seconds"/>. When the total cannot be met (the counters were
    /// read a moment apart), each value stays at its bucket's nearest edge.
    /// </summary>
    public static List<(double Value, long Count)> Replay(ReadOnlySpan<ulong> counts, double seconds)
    {
        var values = new double[counts.Length];
        double rest = seconds;
        for (int b = 0; b < counts.Length; b++)
        {
            // Bucket b holds (Bounds[b - 1], Bounds[b]]: start just above its lower edge.
            values[b] = b == 0 ? 0 : Math.BitIncrement(Bounds[b - 1]);
            rest -= values[b] * counts[b];
        }
        for (int b = 0; b < counts.Length && rest > 0; b++)
        {
            if (counts[b] == 0)
            {
                continue;
            }
            double upper = b < Bounds.Length ? Bounds[b] : double.PositiveInfinity;
            double raise = Math.Min(rest / counts[b], upper - values[b]);
            values[b] = Math.Min(values[b] + raise, upper);
            rest -= raise * counts[b];
        }
        var result = new List<(double, long)>();
        for (int b = 0; b < counts.Length; b++)
        {
            if (counts[b] != 0)
            {
                result.Add((values[b], (long)counts[b]));
            }
        }
        return result;
    }
}
