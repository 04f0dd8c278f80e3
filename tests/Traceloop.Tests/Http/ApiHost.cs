using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Hosting;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Metrics;
using Traceloop.Recorder.Tls;
using Traceloop.Tests.Containers;
using Traceloop.Tests.Metrics;
using Traceloop.Tests.Tls;

namespace Traceloop.Tests.Http;

/// <summary>
/// The recorder's real composition and HTTP API, served by Kestrel on a Unix socket of its own,
/// with the kernel seam replaced: the registry runs over a <see cref="FakeKernel"/>, and the
/// kernel's notices are whatever a test hands the registry. Everything above the seam (lookups,
/// dumps, the store, crash collection, the endpoints) is the production code.
/// </summary>
internal sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private ApiHost(WebApplication app, string dir, RegistryHarness harness)
    {
        _app = app;
        _dir = dir;
        Harness = harness;
        SocketPath = Path.Join(dir, "api.sock");
        Client = new TraceloopClient(SocketPath);
    }

    /// <summary>The API's Unix socket, for tests that write raw bytes to it.</summary>
    public string SocketPath { get; }

    public RegistryHarness Harness { get; }

    public TraceloopClient Client { get; }

    /// <summary>What the kernel's syscall metrics maps hold, as /metrics reads them.</summary>
    public FakeKernelMetrics KernelMetrics { get; private init; } = null!;

    public PodCache Pods => _app.Services.GetRequiredService<PodCache>();

    public T Service<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    /// <param name="settings">Options as the config file would give them (e.g. DumpsMinFreeBytes), over the test defaults.</param>
    /// <param name="ringSize">Bytes of each fake container ring.</param>
    /// <param name="subRings">Per-CPU sub-rings of each fake ring.</param>
    public static async Task<ApiHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, int ringSize = 4096, int subRings = 1)
    {
        string dir = Directory.CreateTempSubdirectory("traceloop-api-").FullName;
        var harness = new RegistryHarness(ringSize: ringSize, subRings: subRings);
        var kernelMetrics = new FakeKernelMetrics();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [nameof(RecorderOptions.DataDir)] = Path.Join(dir, "data"),
            [nameof(RecorderOptions.SocketPath)] = Path.Join(dir, "api.sock"),
            ["DumpsMinFreeBytes"] = "0",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(KubernetesEnvironment.Empty);
        builder.Services.AddTraceloopRecorder(builder.Configuration);
        // The seam: what the kernel side would have built, made by the harness instead.
        builder.Services.AddSingleton<IRecordingKernel>(harness.Kernel);
        builder.Services.AddSingleton<IKernelNotices>(new NoNotices());
        builder.Services.AddSingleton(harness.Cgroups);
        builder.Services.AddSingleton(harness.Events);
        builder.Services.AddSingleton(harness.Exclusions);
        builder.Services.AddSingleton(harness.Registry);
        builder.Services.AddSingleton<IKernelMetrics>(kernelMetrics);
        builder.Services.AddSingleton<ITlsKernel>(new FakeTlsKernel());
        // The TLS service reports what the fake kernel holds but scans no process of this host (TlsProbeServiceTests do).
        builder.Services.Configure<TlsOptions>(o => o.Unavailable = () => "the API test host scans no process");
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(Path.Join(dir, "api.sock")));
        WebApplication app = builder.Build();
        app.MapTraceloopApi();
        await app.StartAsync().ConfigureAwait(false);
        return new ApiHost(app, dir, harness) { KernelMetrics = kernelMetrics };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Harness.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Notices come from the test, through the registry, so this one delivers nothing.</summary>
    private sealed class NoNotices : IKernelNotices
    {
        public void Start()
        {
        }

        public void Dispose()
        {
        }
    }
}
