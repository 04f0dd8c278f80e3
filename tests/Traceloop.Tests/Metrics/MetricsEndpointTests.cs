using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Metrics;
using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Metrics;
using Traceloop.Tests.Containers;
using Traceloop.Tests.Http;
using Traceloop.Tests.Tls;

namespace Traceloop.Tests.Metrics;

/// <summary>GET /metrics over the API with the kernel's maps behind the seam.</summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> ScrapeAsync()
    {
        using HttpResponseMessage response = await _host.Client.SendAsync("/metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    private static ulong[] Buckets(params (int Bucket, ulong Count)[] counts)
    {
        var buckets = new ulong[SyscallMetricsLayout.Buckets];
        foreach ((int b, ulong n) in counts)
        {
            buckets[b] = n;
        }
        return buckets;
    }

    [Fact]
    public async Task AContainersSeriesCarryItsIdWithoutKubernetes_AndTheHistogramIsTheKernelsBuckets()
    {
        RecordedContainer c = _host.Harness.Start(RegistryHarness.PodUid(1), RegistryHarness.ContainerId(1));
        // openat is 257, getppid 110 on x86-64.
        _host.KernelMetrics.Set(new SyscallSeries(c.CgroupId, 257, 12, 7, 30_000, Buckets((1, 10), (3, 2))));
        _host.KernelMetrics.Errors.Add(new ErrnoSeries(c.CgroupId, 257, 2, 7));
        _host.KernelMetrics.Set(new SyscallSeries(c.CgroupId, SyscallMetricsLayout.Other, 3, 0, 0, Buckets()));

        var page = new Exposition(await ScrapeAsync());
        (string, string)[] me = [("namespace", ""), ("pod", ""), ("container", c.Id)];
        Assert.Equal(12, page.Value("traceloop_syscalls_total", [.. me, ("syscall", "openat")]));
        Assert.Equal(3, page.Value("traceloop_syscalls_total", [.. me, ("syscall", "other")]));
        // What the kernel holds against its budget: these two series, of 8192.
        Assert.Equal(2, page.Value("traceloop_syscall_series"));
        Assert.Equal(8192, page.Value("traceloop_syscall_series_limit"));
        Assert.Equal(7, page.Value("traceloop_syscall_errors_total", [.. me, ("syscall", "openat"), ("errno", "ENOENT")]));
        // Bucket 1 ends at 2^11 ns, bucket 3 at 2^13 ns: cumulative 0, 10, 10, 12 and 12 from there on.
        double[] cumulative = [.. page.Find("traceloop_syscall_duration_seconds_bucket", [.. me, ("syscall", "openat")]).Select(b => b.Value)];
        Assert.Equal([0, 10, 10, 12, .. Enumerable.Repeat(12.0, 20)], cumulative);
        Assert.Equal(12, page.Value("traceloop_syscall_duration_seconds_count", [.. me, ("syscall", "openat")]));
        Assert.Equal(30e-6, page.Value("traceloop_syscall_duration_seconds_sum", [.. me, ("syscall", "openat")]), 1e-12);

        // The kernel counted more: the next scrape adds only what is new.
        _host.KernelMetrics.Set(new SyscallSeries(c.CgroupId, 257, 13, 7, 31_500, Buckets((1, 11), (3, 2))));
        page = new Exposition(await ScrapeAsync());
        Assert.Equal(13, page.Value("traceloop_syscall_duration_seconds_count", [.. me, ("syscall", "openat")]));
        Assert.Equal(31.5e-6, page.Value("traceloop_syscall_duration_seconds_sum", [.. me, ("syscall", "openat")]), 1e-12);
        Assert.Equal(13, page.Value("traceloop_syscalls_total", [.. me, ("syscall", "openat")]));
    }

    [Fact]
    public async Task AContainerTheRegistryLetGo_LosesItsSeries_AndThePrunerDeletesItsKernelEntries()
    {
        RecordedContainer c = _host.Harness.Start(RegistryHarness.PodUid(2), RegistryHarness.ContainerId(2));
        _host.KernelMetrics.Set(new SyscallSeries(c.CgroupId, 110, 5, 0, 1000, Buckets((0, 5))));
        Assert.Contains($"container=\"{c.Id}\",syscall=\"getppid\"", await ScrapeAsync(), StringComparison.Ordinal);

        var pruner = new SyscallMetricsPruner(_host.KernelMetrics, _host.Harness.Kernel, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SyscallMetricsPruner>.Instance);
        Assert.Equal(0, pruner.Prune()); // still in the containers map: kept

        Assert.Equal(1, _host.Harness.Registry.ReleasePod(RegistryHarness.PodUid(2)));
        Assert.DoesNotContain(c.Id, await ScrapeAsync(), StringComparison.Ordinal);
        Assert.Equal(1, pruner.Prune());
        Assert.Empty(_host.KernelMetrics.Series);
    }

    [Fact]
    public async Task TheRecordersOwnHealthIsThere_AndEveryApiRequestIsTimedByRoute()
    {
        _host.KernelMetrics.ControlDrops = 3;
        _host.KernelMetrics.Programs.Add(new ProgramRunStats("tl_sys_enter", 100, 2_000_000_000));
        await _host.Client.GetHealthAsync();
        string page = await ScrapeAsync();
        Assert.Contains("traceloop_control_ring_drops_total 3\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_bpf_program_runs_total{program=\"tl_sys_enter\"} 100\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_bpf_program_run_seconds_total{program=\"tl_sys_enter\"} 2\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_kubernetes_watch_state{state=\"disabled\"} 1\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_containers{state=\"recorded\"} 0\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_api_request_duration_seconds_count{route=\"/healthz\",method=\"GET\",status=\"200\"} 1\n", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTlsProbeCountsAreThere_AsVersionGivesThem()
    {
        var tls = (FakeTlsKernel)_host.Service<ITlsKernel>();
        tls.AttachOpenSsl(new OpenSslLibrary(new FileIdentity(254, 0, 42), "/usr/lib/libssl.so.3", "/proc/1/root/usr/lib/libssl.so.3", true,
            [new OpenSslFunction("SSL_read", 0x100), new OpenSslFunction("SSL_write", 0x200)]));
        tls.ExecNoticesDropped = 5;

        string page = await ScrapeAsync();
        Traceloop.Api.VersionInfo version = await _host.Client.GetVersionAsync();

        Assert.Contains("traceloop_tls_files_probed 1\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_tls_uprobes 4\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_tls_exec_notices_dropped_total 5\n", page, StringComparison.Ordinal);
        Assert.Contains("traceloop_tls_binaries_skipped_total 0\n", page, StringComparison.Ordinal);
        Assert.Equal((1, 4, 5L), (version.Tls!.FilesProbed, version.Tls.Uprobes, version.Tls.ExecNoticesDropped));
    }
}
