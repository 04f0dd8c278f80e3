using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Api;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Recorder.Crashes;

/// <summary>What an Event says about one saved dump.</summary>
internal sealed record DumpAnnouncement(SavedDumpInfo Dump, int Syscalls);

/// <summary>
/// Tells the pod's owners that a dump was kept: a Kubernetes Event on the pod (reason
/// TraceloopDump), at most one per container per <see cref="CrashOptions.DumpEventInterval"/>;
/// the dumps in between are counted in one Event when the interval is over. In local mode it
/// does nothing: the structured log line is the announcement there.
/// </summary>
internal sealed partial class DumpAnnouncer : BackgroundService
{
    public const string Reason = "TraceloopDump";
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly PodWatcher _watcher;
    private readonly TimeProvider _time;
    private readonly ILogger<DumpAnnouncer> _logger;
    private readonly EventRateLimiter<DumpAnnouncement> _limiter;
    private readonly Lock _gate = new();
    private PodApiClient? _api;
    private int _eventsCreated;

    public DumpAnnouncer(PodWatcher watcher, IOptions<CrashOptions> options, TimeProvider time, ILogger<DumpAnnouncer> logger)
    {
        _watcher = watcher;
        _time = time;
        _logger = logger;
        _limiter = new EventRateLimiter<DumpAnnouncement>(options.Value.DumpEventInterval);
    }

    /// <summary>Events created so far.</summary>
    public int EventsCreated => _eventsCreated;

    /// <summary>Announces a dump now, or holds it for the aggregated Event at the end of the interval.</summary>
    public async Task AnnounceAsync(DumpAnnouncement a, CancellationToken ct)
    {
        if (Api() is null || a.Dump.Container is not { Namespace: not null, Pod: not null } c)
        {
            return;
        }
        if (_limiter.Offer(Store.DumpStore.KeyOf(c), a, _time.GetUtcNow()))
        {
            await SendAsync(a, 1, null, ct).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach ((_, int count, DateTimeOffset since, DumpAnnouncement latest) in _limiter.Due(_time.GetUtcNow()))
                {
                    await SendAsync(latest, count, since, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private PodApiClient? Api()
    {
        lock (_gate)
        {
            if (_api is null && _watcher.Connection is { } connection)
            {
                _api = new PodApiClient(connection.Config, connection.NodeName);
            }
            return _api;
        }
    }

    private async Task SendAsync(DumpAnnouncement a, int count, DateTimeOffset? since, CancellationToken ct)
    {
        ContainerInfo c = a.Dump.Container!;
        string message = Message(a, count, since);
        DateTime now = _time.GetUtcNow().UtcDateTime;
        bool crash = a.Dump.Trigger?.Kind != DumpTriggerKinds.Manual;
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta
            {
                Name = EventName(c.Pod!, a.Dump.Id),
                NamespaceProperty = c.Namespace,
            },
            InvolvedObject = new V1ObjectReference
            {
                Kind = "Pod",
                ApiVersion = "v1",
                Name = c.Pod,
                NamespaceProperty = c.Namespace,
                Uid = c.PodUid,
                FieldPath = c.Container is null ? null : $"spec.containers{{{c.Container}}}",
            },
            Reason = Reason,
            Message = message,
            Type = crash ? "Warning" : "Normal",
            Count = count,
            FirstTimestamp = since?.UtcDateTime ?? now,
            LastTimestamp = now,
            Source = new V1EventSource { Component = "traceloop", Host = c.Node ?? a.Dump.Node },
            ReportingComponent = "traceloop",
            ReportingInstance = c.Node ?? a.Dump.Node,
        };
        try
        {
            await Api()!.CreateEventAsync(ev, ct).ConfigureAwait(false);
            Interlocked.Increment(ref _eventsCreated);
            LogEventCreated(_logger, c.Namespace!, c.Pod!, message);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or IOException or TaskCanceledException)
        {
            // The dump is on disk and in the log; an Event is a courtesy that must never fail a dump.
            LogEventFailed(_logger, c.Namespace!, c.Pod!, e.Message);
        }
    }

    /// <summary>Unique per dump, a DNS subdomain (lower case, at most 253 characters) like the kubelet's "pod.hash" names.</summary>
    public static string EventName(string pod, string dumpId)
    {
        string suffix = ".traceloop." + dumpId.ToLowerInvariant();
        return pod.Length + suffix.Length <= 253 ? pod + suffix : "traceloop." + dumpId.ToLowerInvariant();
    }

    /// <summary>"2113 syscalls before SIGSEGV; kubectl traceloop get &lt;id&gt;", with the count when several dumps are aggregated.</summary>
    public static string Message(DumpAnnouncement a, int count, DateTimeOffset? since)
    {
        DumpTrigger? t = a.Dump.Trigger;
        string what = t is null || t.Kind == DumpTriggerKinds.Manual
            ? $"{a.Syscalls.ToString(CultureInfo.InvariantCulture)} syscalls saved on request"
            : $"{a.Syscalls.ToString(CultureInfo.InvariantCulture)} syscalls before {t.Description}";
        string text = $"{what}; kubectl traceloop get {a.Dump.Id}";
        return count > 1 && since is { } s
            ? $"{count.ToString(CultureInfo.InvariantCulture)} dumps since {s.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}Z, latest: {text}"
            : text;
    }

    public override void Dispose()
    {
        _api?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 820, Level = LogLevel.Information, Message = "Event TraceloopDump on pod {Namespace}/{Pod}: {Message}")]
    private static partial void LogEventCreated(ILogger logger, string @namespace, string pod, string message);

    [LoggerMessage(EventId = 821, Level = LogLevel.Warning, Message = "Could not create an Event on pod {Namespace}/{Pod}: {Reason}")]
    private static partial void LogEventFailed(ILogger logger, string @namespace, string pod, string reason);
}
