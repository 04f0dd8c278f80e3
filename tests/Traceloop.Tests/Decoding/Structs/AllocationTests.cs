using System.Text;

namespace Traceloop.Tests.Decoding.Structs;

/// <summary>
/// The hot renderers (struct stat, socket addresses, timespecs) run for a large share of all
/// records: after warm-up, rendering into a reused builder allocates nothing. The other renderers
/// run against the same budget, so a regression anywhere shows.
/// </summary>
public sealed class AllocationTests
{
    private static readonly string[] Hot =
    [
        "stat: regular", "stat: char device", "stat: sticky directory", "stat_inject: unknown file type", "stat: statx regular",
        "sockaddr: inet", "sockaddr: inet6 flowinfo", "sockaddr: inet6 v4-mapped", "sockaddr: unix path", "sockaddr: unix abstract",
        "sockaddr: netlink", "sockaddr: accept", "sockaddr: unknown family",
        "time: nanosleep", "time: clock_gettime realtime", "time: gettimeofday", "time: timerfd_settime new",
    ];

    [Fact]
    public void HotRenderersDoNotAllocate() => AssertNoAllocation(Pick(s => Array.IndexOf(Hot, s.ToString()) >= 0));

    [Fact]
    public void NoRendererAllocates()
    {
        // Quoting a non-printable byte and every renderer's tables are allocation-free too; the samples
        // cover all of them.
        AssertNoAllocation(Pick(static _ => true));
    }

    private static StraceSample[] Pick(Func<StraceSample, bool> which)
    {
        StraceSample[] picked = Array.FindAll(StraceSamples.All, s => which(s));
        Assert.NotEmpty(picked);
        return picked;
    }

    private static void AssertNoAllocation(StraceSample[] samples)
    {
        var cases = new (byte[] Data, Action<StringBuilder, byte[]> Render)[samples.Length];
        for (int i = 0; i < samples.Length; i++)
        {
            cases[i] = (samples[i].Bytes, AllocationFreeRenderer.For(samples[i]));
        }
        var sb = new StringBuilder(8192);
        for (int round = 0; round < 50; round++)
        {
            foreach ((byte[] data, Action<StringBuilder, byte[]> render) in cases)
            {
                sb.Clear();
                render(sb, data);
            }
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 200; round++)
        {
            foreach ((byte[] data, Action<StringBuilder, byte[]> render) in cases)
            {
                sb.Clear();
                render(sb, data);
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var culprits = new List<string>();
        if (allocated != 0)
        {
            for (int i = 0; i < cases.Length; i++)
            {
                long start = GC.GetAllocatedBytesForCurrentThread();
                sb.Clear();
                cases[i].Render(sb, cases[i].Data);
                long bytes = GC.GetAllocatedBytesForCurrentThread() - start;
                if (bytes != 0)
                {
                    culprits.Add($"{samples[i]}: {bytes} bytes");
                }
            }
        }
        Assert.True(allocated == 0, $"{allocated} bytes allocated: " + string.Join(", ", culprits));
    }
}
