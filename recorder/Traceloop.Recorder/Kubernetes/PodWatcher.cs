using k8s;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// Keeps <see cref="PodCache"/> equal to this node's pods: one list, then a watch from the
/// list's resource version with bookmarks, resumed from the last resource version after any
/// failure (backoff, capped and jittered), and a fresh list only when the server says the
/// version is gone (410). Nothing here is on the recording path: start-up does not wait for
/// the API server, and an API server that is down only leaves the metadata stale.
/// </summary>
internal sealed class PodWatcher : BackgroundService
{
    // A watch that stayed open this long, or delivered anything, proves the server healthy again.
    private static readonly TimeSpan HealthyWatch = TimeSpan.FromSeconds(10);
    // A watch the server ends this quickly with nothing in it is a failure, not a timeout.
    private static readonly TimeSpan InstantEnd = TimeSpan.FromSeconds(1);
    // How long past its timeoutSeconds a watch may stay silent before we give up on it.
    private static readonly TimeSpan WatchGrace = TimeSpan.FromSeconds(30);

    private readonly KubernetesOptions _options;
    private readonly KubernetesEnvironment _env;
    private readonly ILogger<PodWatcher> _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private KubernetesTarget? _target;
    private KubernetesClientConfiguration? _config;
    private volatile PodWatcherState _state = PodWatcherState.Starting;
    // Null when the next request must be a list.
    private string? _resourceVersion;
    private string? _lastLoggedError;
    // 410s with no watch progress between them.
    private int _goneInARow;

    public PodWatcher(IOptions<KubernetesOptions> options, KubernetesEnvironment env, PodCache cache, ILogger<PodWatcher> logger, TimeProvider time)
    {
        _options = options.Value;
        _env = env;
        Cache = cache;
        _logger = logger;
        _time = time;
    }

    public PodCache Cache { get; }

    public PodWatcherMetrics Metrics { get; } = new();

    public PodWatcherState State => _state;

    /// <summary>False in local mode (known once started).</summary>
    public bool IsEnabled => _target is { Mode: not KubernetesMode.Local };

    public KubernetesMode Mode => _target?.Mode ?? KubernetesMode.Local;

    /// <summary>This node's name and how to reach the API server, once started with Kubernetes; null in local mode.</summary>
    public (KubernetesClientConfiguration Config, string NodeName)? Connection =>
        _config is { } config && _target?.NodeName is { } node ? (config, node) : null;

    /// <summary>
    /// Completes when the cache first holds a full list (at once in local mode: there is nothing
    /// to wait for); canceled if the watcher stops before that. Nothing in the recorder needs to
    /// wait for it; tests and readiness reports may.
    /// </summary>
    public Task Synced => _synced.Task;

    /// <summary>
    /// Decides the mode and reads the credentials (local files only) so that a broken setup
    /// stops the start with the reason; then returns without touching the network.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _target = KubernetesTarget.Resolve(_options, _env);
        Cache.NodeName = _target.NodeName;
        if (_target.Mode == KubernetesMode.Local)
        {
            _state = PodWatcherState.Disabled;
            _synced.TrySetResult();
            PodWatcherLog.LocalMode(_logger);
            return Task.CompletedTask;
        }
        if (_target.NodeName is null)
        {
            throw new InvalidOperationException($"NodeName is required with Kubernetes ({_target.Source}): pass --node-name or set NODE_NAME");
        }
        _config = _target.CreateClientConfiguration();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host runs this synchronously up to its first await: leave at once so that no
        // DNS lookup or TLS handshake ever sits in the recorder's start.
        await Task.Yield();
        string node = _target!.NodeName!;
        using var api = new PodApiClient(_config!, node);
        PodWatcherLog.Starting(_logger, node, api.Server, _target.Source);
        var backoff = new ExponentialBackoff(_options.ResyncBackoffInitial, _options.ResyncBackoffMax);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                string request = "list";
                TimeSpan? delay = null;
                try
                {
                    if (_resourceVersion is null)
                    {
                        await ListAsync(api, node, stoppingToken).ConfigureAwait(false);
                    }
                    request = "watch";
                    if (!await WatchAsync(api, backoff, stoppingToken).ConfigureAwait(false))
                    {
                        delay = OnFailure(backoff, request, "the API server ended the watch at once");
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (KubernetesApiException e) when (e.IsGone)
                {
                    Metrics.OnGone();
                    PodWatcherLog.Gone(_logger, _resourceVersion ?? "", e.ServerMessage);
                    _resourceVersion = null;
                    // A 410 is routine (the watch fell behind compaction): re-list at once. A
                    // second one before any progress is not, and waits like a failure.
                    if (_goneInARow++ > 0)
                    {
                        delay = OnFailure(backoff, request, e);
                    }
                }
                catch (KubernetesApiException e)
                {
                    delay = OnFailure(backoff, request, e);
                }
                catch (Exception e)
                {
                    // Anything else (connection refused or reset, TLS, a truncated line, a silent
                    // watch past its deadline, a bug) must not end the watcher: retry the same way.
                    delay = OnFailure(backoff, request, e);
                }
                if (delay is { } d)
                {
                    _state = PodWatcherState.Retrying;
                    await Task.Delay(d, _time, stoppingToken).ConfigureAwait(false);
                    Metrics.OnReconnect();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _state = PodWatcherState.Stopped;
            _synced.TrySetCanceled(stoppingToken);
        }
    }

    private async Task ListAsync(PodApiClient api, string node, CancellationToken ct)
    {
        // The first list may come from the API server's watch cache ("0"): a DaemonSet rolling
        // out on every node at once should not make every recorder read etcd. After a 410 the
        // list must be at least as new as what we saw, so it is a consistent read ("").
        bool first = Metrics.Lists == 0;
        (IReadOnlyList<Pod> items, string rv) = await api.ListAsync(first ? "0" : "", ct).ConfigureAwait(false);
        var pods = new List<PodInfo>(items.Count);
        foreach (Pod item in items)
        {
            if (PodInfoMapper.FromPod(item) is { } pod)
            {
                pods.Add(pod);
            }
            else
            {
                PodWatcherLog.UnusablePod(_logger, "list");
            }
        }
        // Pods deleted while we were away are dropped here, in the same step that adds the new ones.
        Cache.ReplaceAll(pods);
        _resourceVersion = rv;
        Metrics.OnList(rv);
        PodWatcherLog.Listed(_logger, pods.Count, node, rv);
        _synced.TrySetResult();
    }

    /// <summary>Runs one watch to its end; false when the server ended it at once with nothing in it.</summary>
    private async Task<bool> WatchAsync(PodApiClient api, ExponentialBackoff backoff, CancellationToken stoppingToken)
    {
        // Each watch asks for a slightly different timeout so that a cluster's recorders spread out.
        TimeSpan timeout = _options.WatchTimeout * (1 + Random.Shared.NextDouble() / 4);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(timeout + WatchGrace);
        string from = _resourceVersion!;
        await using PodWatchStream watch = await api.WatchAsync(from, timeout, deadline.Token).ConfigureAwait(false);
        Metrics.OnWatchStarted();
        if (backoff.Failures > 0)
        {
            PodWatcherLog.Reconnected(_logger, backoff.Failures, from);
        }
        _state = PodWatcherState.Watching;
        _lastLoggedError = null;
        long opened = _time.GetTimestamp();
        bool progressed = false;
        try
        {
            while (await watch.ReadAsync(deadline.Token).ConfigureAwait(false) is { } e)
            {
                Apply(e);
                progressed = true;
            }
        }
        finally
        {
            if (progressed || _time.GetElapsedTime(opened) >= HealthyWatch)
            {
                backoff.Reset();
                _goneInARow = 0;
            }
        }
        if (!progressed && _time.GetElapsedTime(opened) < InstantEnd)
        {
            return false;
        }
        PodWatcherLog.WatchEnded(_logger, _resourceVersion ?? "");
        return true;
    }

    private void Apply(PodWatchEvent e)
    {
        switch (e.Type)
        {
            case PodWatchEventType.Added:
            case PodWatchEventType.Modified:
                if (PodInfoMapper.FromPod(e.Pod!) is { } pod)
                {
                    Cache.Upsert(pod);
                }
                else
                {
                    PodWatcherLog.UnusablePod(_logger, "watch event");
                }
                break;
            case PodWatchEventType.Deleted:
                if (e.Pod?.Metadata?.Uid is { } uid)
                {
                    Cache.Remove(uid);
                }
                break;
            case PodWatchEventType.Bookmark:
                break;
            case PodWatchEventType.Error:
                throw e.Error!;
        }
        // Recorded after the change is applied: a resumed watch never skips an unapplied event.
        if (e.ResourceVersion is { Length: > 0 } rv)
        {
            _resourceVersion = rv;
        }
        Metrics.OnEvent(e.ResourceVersion, e.Type == PodWatchEventType.Bookmark);
    }

    private TimeSpan OnFailure(ExponentialBackoff backoff, string request, object error)
    {
        TimeSpan delay = backoff.Next();
        string text = error switch
        {
            KubernetesApiException k => k.Message,
            HttpRequestException { InnerException: { } inner } h when !h.Message.Contains(inner.Message, StringComparison.Ordinal) => $"{h.Message} {inner.Message}",
            Exception e => e.Message,
            _ => error.ToString() ?? "",
        };
        Metrics.OnError(text, _time.GetUtcNow());
        // One line per kind of failure, and again as the streak doubles: an API server that is
        // away for an hour costs a handful of lines, not one per retry.
        bool log = text != _lastLoggedError || (backoff.Failures & (backoff.Failures - 1)) == 0;
        _lastLoggedError = text;
        if (!log)
        {
            return delay;
        }
        switch (error)
        {
            case KubernetesApiException { Status: System.Net.HttpStatusCode.Unauthorized } k:
                PodWatcherLog.Unauthorized(_logger, k.ServerMessage, delay);
                break;
            case KubernetesApiException { Status: System.Net.HttpStatusCode.Forbidden } k:
                PodWatcherLog.Forbidden(_logger, k.ServerMessage, delay);
                break;
            default:
                PodWatcherLog.Failed(_logger, request, text, delay, _resourceVersion ?? "(none: listing)");
                break;
        }
        return delay;
    }
}
