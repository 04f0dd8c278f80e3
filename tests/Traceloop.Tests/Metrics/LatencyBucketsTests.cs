using Traceloop.Recorder.Metrics;

namespace Traceloop.Tests.Metrics;

public sealed class LatencyBucketsTests
{
    [Fact]
    public void TheBoundsAreTheKernelsPowersOfTwo_From2To10NanosecondsTo2To32()
    {
        Assert.Equal(23, LatencyBuckets.Bounds.Length);
        Assert.Equal(1024 / 1e9, LatencyBuckets.Bounds[0]);
        Assert.Equal(4294967296 / 1e9, LatencyBuckets.Bounds[^1]);
    }

    [Theory]
    [InlineData(new ulong[] { 5, 0, 3 }, 0.00001)]
    [InlineData(new ulong[] { 5, 0, 3 }, 0.00002)]
    [InlineData(new ulong[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 }, 30.0)]
    [InlineData(new ulong[] { 1000, 1 }, 0.0000001)]
    public void AReplayPutsEachBucketsCallsInThatBucket_AndTheirTotalIsTheKernelsTime(ulong[] counts, double seconds)
    {
        List<(double Value, long Count)> replay = LatencyBuckets.Replay(counts, seconds);

        Assert.Equal(counts.Where(c => c != 0).Select(c => (long)c), replay.Select(r => r.Count));
        int i = 0;
        for (int b = 0; b < counts.Length; b++)
        {
            if (counts[b] == 0)
            {
                continue;
            }
            (double value, _) = replay[i++];
            double lower = b == 0 ? 0 : LatencyBuckets.Bounds[b - 1];
            double upper = b < LatencyBuckets.Bounds.Length ? LatencyBuckets.Bounds[b] : double.PositiveInfinity;
            Assert.True(value <= upper && (b == 0 ? value >= 0 : value > lower), $"bucket {b}: {value} outside ({lower}, {upper}]");
        }
        double total = replay.Sum(r => r.Value * r.Count);
        double least = counts.Select((c, b) => b == 0 ? 0 : LatencyBuckets.Bounds[b - 1] * c).Sum();
        double most = counts.Select((c, b) => b < LatencyBuckets.Bounds.Length ? LatencyBuckets.Bounds[b] * c : double.PositiveInfinity).Sum();
        // Exact when the kernel's time fits the buckets (counters read a moment apart may not); else as close as they allow.
        Assert.Equal(Math.Clamp(seconds, least, most), total, 1e-9);
    }
}
