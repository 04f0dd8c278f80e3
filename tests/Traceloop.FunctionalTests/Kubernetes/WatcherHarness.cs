using Microsoft.Extensions.Options;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>A <see cref="PodWatcher"/> started as the host starts it, with its log captured and the cache's changes recorded.</summary>
internal sealed class WatcherHarness : IAsyncDisposable
{
    private readonly List<PodChange> _changes = [];

    private WatcherHarness(PodWatcher watcher, CapturingLogger<PodWatcher> log)
    {
        Watcher = watcher;
        Log = log;
        watcher.Cache.Changed += change =>
        {
            lock (_changes)
            {
                _changes.Add(change);
            }
        };
    }

    public PodWatcher Watcher { get; }

    public PodCache Cache => Watcher.Cache;

    public PodWatcherMetrics Metrics => Watcher.Metrics;

    public CapturingLogger<PodWatcher> Log { get; }

    public IReadOnlyList<PodChange> Changes
    {
        get
        {
            lock (_changes)
            {
                return [.. _changes];
            }
        }
    }

    /// <summary>Options for tests: short backoffs, so a recovery is seen within a second or two.</summary>
    public static KubernetesOptions Options(string node = "node-1", string? kubeconfig = null, string? serviceAccountDir = null) => new()
    {
        NodeName = node,
        Kubeconfig = kubeconfig,
        ServiceAccountDir = serviceAccountDir ?? Path.Join(Path.GetTempPath(), "traceloop-no-service-account"),
        ResyncBackoffInitial = TimeSpan.FromMilliseconds(100),
        ResyncBackoffMax = TimeSpan.FromSeconds(1),
    };

    public static async Task<WatcherHarness> StartAsync(KubernetesOptions options, KubernetesEnvironment? env, CancellationToken ct)
    {
        var log = new CapturingLogger<PodWatcher>();
        var watcher = new PodWatcher(Microsoft.Extensions.Options.Options.Create(options), env ?? KubernetesEnvironment.Empty, new PodCache(log.For<PodCache>()), log, TimeProvider.System);
        var harness = new WatcherHarness(watcher, log);
        await watcher.StartAsync(ct);
        return harness;
    }

    /// <summary>Starts a watcher on <paramref name="server"/> through a kubeconfig and waits for its first list.</summary>
    public static async Task<WatcherHarness> SyncedAsync(ApiServerFixture server, CancellationToken ct, string node = "node-1")
    {
        WatcherHarness harness = await StartAsync(Options(node, kubeconfig: server.WriteKubeconfig()), null, ct);
        await harness.Watcher.Synced.WaitAsync(TimeSpan.FromSeconds(5), ct);
        // The list is done; the watch follows at once. Changes made before it opens are replayed
        // from the history anyway, but tests about watches want one open.
        await harness.WaitUntilAsync(() => server.Pods.OpenWatches.Count == 1 && harness.Watcher.State == PodWatcherState.Watching,
            TimeSpan.FromSeconds(5), "the watch to open");
        return harness;
    }

    public Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        Recorder.Eventually.TrueAsync(() => Task.FromResult(condition()), timeout, $"{what}; watcher log:\n{Log.Text}");

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Watcher.StopAsync(cts.Token);
        Watcher.Dispose();
    }
}
