using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Records;
using Traceloop.Recorder.Store;

namespace Traceloop.Recorder.Crashes;

/// <summary>
/// Keeps a container's history on disk: takes its ring's snapshot (for an exit, up to and
/// including the main process's end), writes it to the <see cref="DumpStore"/>, logs one line,
/// and, with Kubernetes, records what the kubelet says about the end and announces the dump.
/// Used by the crash collector and by the manual snapshot endpoints.
/// </summary>
internal sealed partial class DumpKeeper : IDisposable
{
    // The process-exit record is committed before the kernel sends MAIN_EXIT; a few retries
    // cover a snapshot that raced a record still being written by another CPU.
    private const int ExitRecordAttempts = 10;
    private static readonly TimeSpan ExitRecordRetry = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan KubeletPoll = TimeSpan.FromMilliseconds(250);
    private const int MaxFollowUps = 64;

    private readonly DumpService _dumps;
    private readonly PodCache _pods;
    private readonly DumpStore _store;
    private readonly DumpAnnouncer _announcer;
    private readonly PodWatcher _watcher;
    private readonly CrashOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DumpKeeper> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _followUps;
    private long _nothingRecorded;

    public DumpKeeper(DumpService dumps, PodCache pods, DumpStore store, DumpAnnouncer announcer, PodWatcher watcher,
        IOptions<CrashOptions> options, TimeProvider time, ILogger<DumpKeeper> logger)
    {
        _dumps = dumps;
        _pods = pods;
        _store = store;
        _announcer = announcer;
        _watcher = watcher;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public DumpStore Store => _store;

    /// <summary>Dumps not written because the container's ring was already released (or not there yet), since start.</summary>
    public long NothingRecorded => Interlocked.Read(ref _nothingRecorded);

    /// <param name="endedPid">For an exit: the main process, whose process-exit record ends the dump.</param>
    /// <returns>The saved dump, or the reason nothing was written.</returns>
    public async Task<SaveOutcome> KeepAsync(RecordedContainer container, DumpTrigger trigger, int? endedPid, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ContainerDump dump = await TakeAsync(container, endedPid, ct).ConfigureAwait(false);
        if (dump.Snapshot is null || dump.Events.Length == 0)
        {
            // The ring never came (every slot was taken when the container started), came only
            // after the container's last event (a late ring: its events were counted as missed),
            // or went before the notice was handled (its pod was deselected, or it was released
            // while no crash notice held it): an empty dump would say the container did nothing,
            // so none is written.
            string why = container.Slot == Bpf.RecordLayout.SlotPending
                ? "it never got a ring (every slot was taken when it started; raise --max-containers)"
                : dump.Snapshot is not null
                    ? $"its ring came after its events ({dump.Kernel.missed} counted as missed while every slot was taken; raise --max-containers)"
                    : "its ring was already released";
            dump.Dispose();
            Interlocked.Increment(ref _nothingRecorded);
            LogNothingRecorded(_logger, container.Id, trigger.Kind, trigger.Description, why);
            return new SaveOutcome(null, $"container {container.Id} has no ring to take a snapshot of: {why}; no {trigger.Kind} dump written",
                0, [], NothingRecorded: true);
        }
        (SaveOutcome outcome, ContainerInfo info, int syscalls) = await SavedDumps.WriteAsync(_store, dump, trigger, ct).ConfigureAwait(false);
        if (outcome.Saved is { } saved)
        {
            LogSaved(_logger, saved.Id, container.Id, info.Namespace ?? "", info.Pod ?? "", info.Container ?? "", trigger.Kind, trigger.Description,
                saved.Events, syscalls, saved.SizeBytes, outcome.RawBytes, clock.Elapsed.TotalMilliseconds, _store.DumpPath(saved.Id));
            FollowUp(container, saved, syscalls, trigger);
        }
        return outcome;
    }

    private async Task<ContainerDump> TakeAsync(RecordedContainer container, int? endedPid, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            ContainerDump dump = _dumps.Take(container);
            if (endedPid is not { } pid)
            {
                return dump;
            }
            int end = Array.FindLastIndex(dump.Events, e => e.Type == TraceEventType.ProcessExit && e.Pid == (uint)pid && e.Tid == (uint)pid);
            if (end < 0)
            {
                end = Array.FindLastIndex(dump.Events, e => e.Type == TraceEventType.ProcessExit && e.Pid == (uint)pid);
            }
            if (end >= 0 || attempt == ExitRecordAttempts || dump.Snapshot is null)
            {
                if (end >= 0)
                {
                    // What other processes did after the main one ended is not part of its death.
                    dump.KeepFirst(end + 1);
                }
                return dump;
            }
            dump.Dispose();
            await Task.Delay(ExitRecordRetry, _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// With Kubernetes: waits (in the background) for the pod object to name the container and
    /// report its end, puts both in the dump's sidecar, then announces the dump with an Event.
    /// </summary>
    private void FollowUp(RecordedContainer container, SavedDumpInfo saved, int syscalls, DumpTrigger trigger)
    {
        if (_watcher.Connection is null)
        {
            return;
        }
        bool awaitKubelet = trigger.Kind is DumpTriggerKinds.Exit or DumpTriggerKinds.Signal or DumpTriggerKinds.Oom;
        if (Interlocked.Increment(ref _followUps) > MaxFollowUps)
        {
            awaitKubelet = false; // a storm of crashes: announce without waiting for each report
        }
        _ = Task.Run(async () =>
        {
            try
            {
                SavedDumpInfo current = awaitKubelet ? await CrossCheckAsync(container, saved, _stopping.Token).ConfigureAwait(false) : saved;
                await _announcer.AnnounceAsync(new DumpAnnouncement(current, syscalls), _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                LogFollowUpFailed(_logger, e, saved.Id);
            }
            finally
            {
                Interlocked.Decrement(ref _followUps);
            }
        });
    }

    private async Task<SavedDumpInfo> CrossCheckAsync(RecordedContainer container, SavedDumpInfo saved, CancellationToken ct)
    {
        DateTimeOffset deadline = _time.GetUtcNow() + _options.KubeletReportTimeout;
        SavedDumpInfo current = saved;
        // The status names an instance only while it is the current or the last one: a name
        // seen once is kept, even if a quick restart pushes the instance out of the status.
        KubernetesIdentity? names = null;
        while (true)
        {
            KubernetesIdentity? now = KubernetesIdentity.Resolve(_pods, container);
            if (now is not null && (now.Container is not null || names is null))
            {
                names = now;
            }
            ContainerTermination? end = now?.Container is { } meta ? TerminationOf(meta, container.Id) : null;
            if (end is not null || _time.GetUtcNow() >= deadline)
            {
                ContainerInfo? named = names is null ? null : Named(saved.Container!, names);
                DumpTrigger? trigger = end is null ? null : WithKubelet(saved.Trigger!, end);
                if (named is not null || trigger is not null)
                {
                    _store.Update(saved.Id, r =>
                    {
                        r.Info = DumpStore.With(r.Info, container: named, trigger: trigger);
                        r.Key = DumpStore.KeyOf(r.Info.Container!);
                        current = r.Info;
                        return r;
                    });
                }
                if (end is not null && trigger is not null)
                {
                    LogKubeletReport(_logger, saved.Id, end.Reason ?? "", end.ExitCode, saved.Trigger!.Description);
                }
                return current;
            }
            await Task.Delay(KubeletPoll, _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The ended instance's termination: the current state when it is still the current instance, else the last state.</summary>
    internal static ContainerTermination? TerminationOf(ContainerMeta meta, string containerId)
    {
        if (meta.Terminated is { } t && (t.ContainerId ?? meta.ContainerId) == containerId)
        {
            return t;
        }
        return meta.LastTerminated is { } last && last.ContainerId == containerId ? last : null;
    }

    private static DumpTrigger WithKubelet(DumpTrigger t, ContainerTermination end) => new()
    {
        Kind = t.Kind,
        ExitCode = t.ExitCode,
        Signal = t.Signal,
        SignalName = t.SignalName,
        CoreDumped = t.CoreDumped,
        Syscall = t.Syscall,
        Errno = t.Errno,
        Pid = t.Pid,
        KubernetesReason = end.Reason,
        KubernetesExitCode = end.ExitCode,
    };

    /// <summary>The same container with the names Kubernetes gave it; everything the recorder measured stays.</summary>
    private static ContainerInfo Named(ContainerInfo c, KubernetesIdentity names) => c with
    {
        Namespace = names.Pod.Namespace,
        Pod = names.Pod.Name,
        Container = names.Container?.Name ?? c.Container,
        Labels = names.Pod.Labels,
        Image = names.Container?.Image ?? c.Image,
        RestartCount = names.Container?.RestartCount ?? c.RestartCount,
        Node = names.Pod.NodeName ?? c.Node,
        ContainerKind = names.Container?.Kind.ToString().ToLowerInvariant() ?? c.ContainerKind,
    };

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Warning,
        Message = "Saved dump {DumpId} of container {ContainerId} (pod {Namespace}/{Pod} container {Container}): trigger {Trigger} ({Description}), {Events} events ({Syscalls} syscalls), {Bytes} bytes on disk ({RawBytes} uncompressed), {ElapsedMs:0.0} ms; {Path}")]
    private static partial void LogSaved(ILogger logger, string dumpId, string containerId, string @namespace, string pod, string container,
        string trigger, string description, int events, int syscalls, long bytes, long rawBytes, double elapsedMs, string path);

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "Saved dump {DumpId}: the kubelet reports {Reason} with exit code {ExitCode} (the kernel saw {Description})")]
    private static partial void LogKubeletReport(ILogger logger, string dumpId, string reason, int exitCode, string description);

    [LoggerMessage(EventId = 802, Level = LogLevel.Error, Message = "Following up saved dump {DumpId} failed")]
    private static partial void LogFollowUpFailed(ILogger logger, Exception e, string dumpId);

    [LoggerMessage(EventId = 803, Level = LogLevel.Warning, Message = "No dump of container {ContainerId} for trigger {Trigger} ({Description}): {Reason}")]
    private static partial void LogNothingRecorded(ILogger logger, string containerId, string trigger, string description, string reason);
}
