using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Metrics;
using static Traceloop.FunctionalTests.Metrics.MetricsTests;

namespace Traceloop.FunctionalTests.Metrics;

/// <summary>
/// The kernel's series pool end to end: a second container is counted in full only on the series
/// the first one gave back. It runs alone: every recorder counts every container on the machine,
/// so another test's containers would take series from this one's small pool.
/// </summary>
[Collection(Alone)]
public sealed class SeriesRecyclingTests
{
    public const string Alone = "metrics series pool, alone";

    [Fact]
    public async Task TheSeriesOfAForgottenContainer_GoBackToThePoolZeroed_AndServeTheNextContainersExactCounts()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        // A takes 129 series (its cap of 128 and other); the pool leaves 20 more, far fewer than a
        // second container's runc init alone needs: B is counted in full only with A's series back.
        const int pool = 129 + 20;
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--spare-rings", "16", "--metrics-series", $"{pool}", "--grace-period", "00:00:05"], cts.Token);

        MetricsWorkload a = await MetricsWorkload.StartAsync(0, 0, "/", distinct: 300, cts.Token);
        await using (RuncContainer container = a.Container)
        {
            try
            {
                a.Go();
                Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
                Exposition? last = null;
                Exposition full = await Eventually.GetAsync(async () =>
                {
                    last = await ScrapeAsync(recorder, cts.Token);
                    return last.Find(Syscalls, ("container", container.Id)).Count() == 129 ? last : null;
                }, TimeSpan.FromSeconds(30), "the first container's 129 series", () => last is null ? "no scrape" :
                    $"{last.Find(Syscalls, ("container", container.Id)).Count()} series of it, {last.Value("traceloop_syscall_series")} in all, "
                    + $"{last.Value("traceloop_syscall_metrics_dropped_total", ("reason", "map_full"))} calls dropped for want of one");
                Assert.Equal(pool, full.Value("traceloop_syscall_series_limit"));
                Assert.True(full.Value("traceloop_syscall_series") >= 129, "the series gauge does not count the first container's");
            }
            finally
            {
                a.RemoveGoFile();
            }
        }
        // Ended, and its grace period over, the registry lets it go; the pruner (every 10 s) gives its series back.
        await Eventually.TrueAsync(async () => (await ScrapeAsync(recorder, cts.Token)).Value("traceloop_syscall_series") < 20,
            TimeSpan.FromSeconds(40), "the first container's series to go back to the pool");
        Exposition start = await ScrapeAsync(recorder, cts.Token);

        int n = Random.Shared.Next(20, 60), m = Random.Shared.Next(100, 300);
        MetricsWorkload b = await MetricsWorkload.StartAsync(n, m, $"/no-such-{Guid.NewGuid():N}", distinct: 0, cts.Token);
        await using RuncContainer second = b.Container;
        try
        {
            (string, string) me = ("container", second.Id);
            Exposition before = await WaitingAsync(recorder, me, cts.Token);
            b.Go();
            Assert.Equal(0, await second.WaitForExitAsync(cts.Token));
            // Scraped within its grace period of 5 s.
            Exposition after = await ScrapeAsync(recorder, cts.Token);
            // Every call of B found a series: none went uncounted for want of room...
            Assert.Equal(0, Delta(start, after, "traceloop_syscall_metrics_dropped_total", ("reason", "map_full")));
            // ... and its counts are exact on series that were A's (SeriesPoolTests checks they come back zeroed).
            Assert.Equal(n, Delta(before, after, Errors, me, ("syscall", "openat"), ("errno", "ENOENT")));
            Assert.Equal(m, Delta(before, after, Syscalls, me, ("syscall", "getppid")));
            Assert.Equal(m, Delta(before, after, Duration + "_count", me, ("syscall", "getppid")));
            AssertHistogramConsistent(after, second.Id, "getppid");
        }
        finally
        {
            b.RemoveGoFile();
        }
    }
}

[CollectionDefinition(SeriesRecyclingTests.Alone, DisableParallelization = true)]
public sealed class SeriesRecyclingCollection;
