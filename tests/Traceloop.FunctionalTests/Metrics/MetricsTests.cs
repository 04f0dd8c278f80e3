using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Metrics;

namespace Traceloop.FunctionalTests.Metrics;

/// <summary>
/// GET /metrics against the real kernel counters: exact syscall and errno counts of a runc
/// container, histogram buckets that agree with their count, the exposition checked by promtool
/// and scraped by a real Prometheus server, the per-container syscall cap, and no TCP listener
/// unless --metrics-address asks for one.
/// </summary>
public sealed class MetricsTests
{
    internal const string Syscalls = "traceloop_syscalls_total";
    internal const string Errors = "traceloop_syscall_errors_total";
    internal const string Duration = "traceloop_syscall_duration_seconds";

    [Fact]
    public async Task ExactCountsOfAContainer_AreScrapedOnTheSocketByPromtoolAndByARealPrometheus()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        int port = FreePort();
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--metrics-address", $"127.0.0.1:{port}", "--spare-rings", "16"], cts.Token);

        int n = Random.Shared.Next(20, 60), m = Random.Shared.Next(100, 300);
        string path = $"/no-such-{Guid.NewGuid():N}";
        MetricsWorkload workload = await MetricsWorkload.StartAsync(n, m, path, distinct: 0, cts.Token);
        await using RuncContainer container = workload.Container;
        try
        {
            (string, string) me = ("container", container.Id);
            // Waiting in its access/nanosleep loop: the container is counted from its first syscall.
            Exposition before = await WaitingAsync(recorder, me, cts.Token);

            workload.Go();
            Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
            Exposition after = await ScrapeAsync(recorder, cts.Token);

            Assert.Equal(n, Delta(before, after, Errors, me, ("syscall", "openat"), ("errno", "ENOENT")));
            Assert.Equal(m, Delta(before, after, Syscalls, me, ("syscall", "getppid")));
            Assert.Equal(0, Delta(before, after, Errors, me, ("syscall", "getppid"), ("errno", "ENOENT")));
            // Every getppid was entered while counting, so each one is timed.
            Assert.Equal(m, Delta(before, after, Duration + "_count", me, ("syscall", "getppid")));
            AssertHistogramConsistent(after, container.Id, "getppid");
            AssertHistogramConsistent(after, container.Id, "openat");
            Assert.True(after.Value(Duration + "_sum", me, ("syscall", "getppid")) > 0, "getppid took no time at all");
            // Each 10 ms nanosleep of the wait blocks, so its exit comes after a context switch and is
            // timed from the start its task took off the CPU (tl_metrics_switch), not from when it
            // resumed: they fill the 8.4-16.8 ms bucket. (runc's init, a Go program, makes short
            // nanosleeps of its own in the container before the workload starts.)
            double tenMs = after.Value(Duration + "_bucket", me, ("syscall", "nanosleep"), ("le", "0.016777216"))
                - after.Value(Duration + "_bucket", me, ("syscall", "nanosleep"), ("le", "0.008388608"));
            Assert.True(tenMs >= 1, $"{tenMs} nanosleeps of the wait were timed at 8.4-16.8 ms");
            AssertHistogramConsistent(after, container.Id, "nanosleep");

            await PromtoolAcceptsAsync(after.Text, cts.Token);

            // Over TCP: the same page, and nothing else.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            var tcp = new Exposition(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), cts.Token));
            Assert.Equal(after.Value(Errors, me, ("syscall", "openat"), ("errno", "ENOENT")), tcp.Value(Errors, me, ("syscall", "openat"), ("errno", "ENOENT")));
            using HttpResponseMessage containers = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/containers"), cts.Token);
            Assert.Equal(HttpStatusCode.NotFound, containers.StatusCode);
            Assert.Single(ListeningTcpSockets(recorder.Pid), s => s.Port == port);

            double expected = after.Value(Errors, me, ("syscall", "openat"), ("errno", "ENOENT"));
            await using var prometheus = await PrometheusServer.StartAsync(port, cts.Token);
            string query = $"{Errors}{{container=\"{container.Id}\",syscall=\"openat\",errno=\"ENOENT\"}}";
            await Eventually.TrueAsync(async () => await prometheus.QueryAsync(query, cts.Token) == expected,
                TimeSpan.FromSeconds(60), $"Prometheus to return {expected} for {query}");
            Assert.Equal(m + before.Value(Syscalls, me, ("syscall", "getppid")),
                await prometheus.QueryAsync($"{Syscalls}{{container=\"{container.Id}\",syscall=\"getppid\"}}", cts.Token));
        }
        finally
        {
            workload.RemoveGoFile();
        }
    }

    [Fact]
    public async Task AContainerCalling300DistinctSyscalls_FromTwoThreadsAtOnce_TakesExactlyTheCap_WithTheRestCountedAsOther()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--spare-rings", "16"], cts.Token);
        Exposition start = await ScrapeAsync(recorder, cts.Token);

        // Both threads enter each number's first call together, racing for its place: the race's loser
        // must not take a place of the cap too, or the container ends with fewer than 128 series.
        MetricsWorkload workload = await MetricsWorkload.StartAsync(0, 0, "/", distinct: 300, cts.Token, racers: 2);
        await using RuncContainer container = workload.Container;
        try
        {
            workload.Go();
            Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
            Exposition after = await Eventually.GetAsync(async () =>
            {
                Exposition e = await ScrapeAsync(recorder, cts.Token);
                return e.Find(Syscalls, ("container", container.Id)).Any() ? e : null;
            }, TimeSpan.FromSeconds(30), "the container's series");

            var series = after.Find(Syscalls, ("container", container.Id)).ToList();
            const int cap = 128;
            Assert.True(series.Count <= cap + 1, $"{series.Count} syscall series for one container, above the cap of {cap} + other");
            Assert.Equal(cap + 1, series.Count); // it called far more than the cap: every place is taken
            double other = after.Value(Syscalls, ("container", container.Id), ("syscall", "other"));
            Assert.True(other >= 300 - cap, $"other counts {other} calls; at least {300 - cap} of the 300 numbers did not fit");
            double folded = after.Value("traceloop_syscall_metrics_dropped_total", ("reason", "folded"))
                - start.Value("traceloop_syscall_metrics_dropped_total", ("reason", "folded"));
            Assert.True(folded >= 300 - cap, $"{folded} calls counted as folded");
            Assert.True(after.Find(Errors, ("container", container.Id)).Count() <= cap + 1, "errno series beyond the cap");
            Assert.True(after.Value(Errors, ("container", container.Id), ("syscall", "other"), ("errno", "ENOSYS")) >= 300 - cap);
        }
        finally
        {
            workload.RemoveGoFile();
        }
    }

    [Fact]
    public async Task TheCountersArePinned_ARecorderKilledAndStartedAgainShowsWhatWasCountedMeanwhile()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        RecorderProcess first = await RecorderProcess.StartAsync(["--spare-rings", "16"], cts.Token);
        RecorderProcess? second = null;
        int n = Random.Shared.Next(5, 30), m = Random.Shared.Next(30, 90);
        MetricsWorkload workload = await MetricsWorkload.StartAsync(n, m, $"/no-such-{Guid.NewGuid():N}", distinct: 0, cts.Token);
        try
        {
            await using RuncContainer container = workload.Container;
            (string, string) me = ("container", container.Id);
            Exposition before = await WaitingAsync(first, me, cts.Token);

            await first.KillAsync();
            // The calls happen while no recorder runs: the pinned programs count them.
            workload.Go();
            Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
            second = await first.RestartAsync(ct: cts.Token);
            Assert.Contains("Took over the recording pinned in", second.Output, StringComparison.Ordinal);

            Exposition after = await Eventually.GetAsync(async () =>
            {
                Exposition e = await ScrapeAsync(second, cts.Token);
                return e.Find(Syscalls, me).Any() ? e : null;
            }, TimeSpan.FromSeconds(30), "the taken-over container's series");
            Assert.Equal(n, Delta(before, after, Errors, me, ("syscall", "openat"), ("errno", "ENOENT")));
            Assert.Equal(m, Delta(before, after, Syscalls, me, ("syscall", "getppid")));
            AssertHistogramConsistent(after, container.Id, "getppid");
        }
        finally
        {
            workload.RemoveGoFile();
            await (second ?? first).DisposeAsync();
            if (second is not null)
            {
                await first.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task WithoutAMetricsAddress_TheRecorderListensOnNoTcpPort()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(null, cts.Token);
        // The recorder serves (its socket answers), and /metrics with it.
        Exposition page = await ScrapeAsync(recorder, cts.Token);
        Assert.NotEmpty(page.Find("traceloop_containers"));
        Assert.Empty(ListeningTcpSockets(recorder.Pid));
    }

    /// <summary>The scrape once a workload container waits in its access/nanosleep loop, runc's init done: counts from here on are the workload's.</summary>
    internal static Task<Exposition> WaitingAsync(RecorderProcess recorder, (string, string) container, CancellationToken ct) =>
        Eventually.GetAsync(async () =>
        {
            Exposition e = await ScrapeAsync(recorder, ct);
            return e.Value(Syscalls, container, ("syscall", "access")) > 0 ? e : null;
        }, TimeSpan.FromSeconds(30), "the waiting container's access calls to be counted");

    internal static double Delta(Exposition before, Exposition after, string name, params (string, string)[] labels) =>
        after.Value(name, labels) - before.Value(name, labels);

    internal static void AssertHistogramConsistent(Exposition e, string container, string syscall)
    {
        var buckets = e.Find(Duration + "_bucket", ("container", container), ("syscall", syscall))
            .Select(b => (Le: b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], CultureInfo.InvariantCulture), b.Value))
            .OrderBy(b => b.Le).ToList();
        Assert.Equal(24, buckets.Count);
        for (int i = 1; i < buckets.Count; i++)
        {
            Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{syscall} bucket le={buckets[i].Le} holds fewer than the one below it");
        }
        Assert.True(double.IsPositiveInfinity(buckets[^1].Le));
        Assert.Equal(e.Value(Duration + "_count", ("container", container), ("syscall", syscall)), buckets[^1].Value);
    }

    internal static async Task<Exposition> ScrapeAsync(RecorderProcess recorder, CancellationToken ct)
    {
        using HttpResponseMessage response = await recorder.Client.SendAsync("metrics", ct);
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return new Exposition(await response.Content.ReadAsStringAsync(ct));
    }

    private static async Task PromtoolAcceptsAsync(string exposition, CancellationToken ct)
    {
        var start = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process promtool = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        Task<string> stdout = promtool.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = promtool.StandardError.ReadToEndAsync(ct);
        await promtool.StandardInput.WriteAsync(exposition.AsMemory(), ct);
        promtool.StandardInput.Close();
        await promtool.WaitForExitAsync(ct);
        Assert.True(promtool.ExitCode == 0, $"promtool check metrics exited {promtool.ExitCode}: {await stdout}{await stderr}");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The process's TCP sockets in LISTEN state, from /proc/net/tcp and tcp6 matched to its descriptors' inodes.</summary>
    internal static List<(string Table, int Port)> ListeningTcpSockets(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(target["socket:[".Length..^1]);
            }
        }
        var listening = new List<(string, int)>();
        foreach (string table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            foreach (string line in File.ReadLines(table).Skip(1))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // local_address is hex ip:port; st 0A is LISTEN; the inode is the tenth field.
                if (f.Length > 9 && f[3] == "0A" && inodes.Contains(f[9]))
                {
                    listening.Add((table, int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
                }
            }
        }
        return listening;
    }
}
