using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Store;

namespace Traceloop.Recorder.Crashes;

/// <summary>
/// Turns the kernel's notices about recorded containers into saved dumps: a main process that
/// exits non-zero or is killed by a signal, the OOM killer's victims, and (when enabled) fatal
/// signals and watched syscall failures. Notices arrive from the control thread through a bounded
/// subscription to <see cref="ContainerEvents"/> and are handled one at a time, in order, so an
/// OOM victim is always known before the exit it causes. One at a time also bounds memory: however
/// many containers crash at once, one ring copy (and its encoded dump) is held by the collector at
/// a time; the rest wait as notices. A container whose notice waits keeps its ring: the registry
/// evicts and sweeps only containers with no notice awaiting the collector. Every notice whose
/// trigger is on ends as one outcome counted in <see cref="CrashCounts"/>.
/// </summary>
internal sealed partial class CrashCollector : BackgroundService
{
    private const int Capacity = 1024;
    // A process other than the main one chosen by the OOM killer: its container may live on, so
    // the dump is taken once the victim has had time to die, unless the main process ends first.
    private static readonly TimeSpan OomSettle = TimeSpan.FromMilliseconds(500);
    private const int DeferredOom = 1;
    private const int SIGKILL = 9;

    private readonly CgroupFs _cgroups;
    private readonly DumpKeeper _keeper;
    private readonly CrashOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CrashCollector> _logger;
    private readonly CrashCounts _counts;
    private readonly ContainerEventSubscription _notices;
    // Containers whose process the OOM killer chose, until their dump is taken.
    private readonly Dictionary<RecordedContainer, int> _oomVictims = [];
    // When a container last kept a fatal-signal or a syscall-error dump.
    private readonly Dictionary<(RecordedContainer, ControlKind), DateTimeOffset> _lastOptional = [];

    public CrashCollector(ContainerEvents events, CgroupFs cgroups, DumpKeeper keeper, CrashCounts counts, IOptions<CrashOptions> options, TimeProvider time,
        ILogger<CrashCollector> logger)
    {
        // Subscribed while the host builds its services, before the kernel's notices are read.
        _notices = events.Subscribe(Capacity, holdsContainers: true);
        _counts = counts;
        _cgroups = cgroups;
        _keeper = keeper;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _keeper.Store.Open();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (ContainerNotice notice in _notices.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_notices.TakeDropped() is long dropped and > 0)
                {
                    _counts.Dropped(dropped);
                    LogDropped(_logger, dropped);
                }
                try
                {
                    await HandleAsync(notice, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // One failed dump (a full disk, a bug) must not end crash collection.
                    LogFailed(_logger, e, notice.Container.Id, notice.Kind.ToString());
                }
                finally
                {
                    // Its ring may go now (evicted for a new container, or swept).
                    _notices.Handled(notice);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(ContainerNotice n, CancellationToken ct)
    {
        switch (n.Kind)
        {
            case ControlKind.MainExit:
            {
                bool oom = _oomVictims.Remove(n.Container) || ((n.Status & 0x7f) == SIGKILL && OomKillCount(n.Container) > 0);
                if (ExitClassifier.Classify(n.Status, oom, n.Pid, _options) is { } trigger)
                {
                    await KeepAsync(n.Container, trigger, endedPid: n.Pid, ct).ConfigureAwait(false);
                }
                _lastOptional.Remove((n.Container, ControlKind.FatalSignal));
                _lastOptional.Remove((n.Container, ControlKind.SyscallError));
                break;
            }
            case ControlKind.OomVictim when n.Status == DeferredOom:
                // The main process still runs: the victim was another process of the container.
                if (n.Container.ExitStatus is null && _oomVictims.Remove(n.Container) && _options.DumpOnOom)
                {
                    await KeepAsync(n.Container, new DumpTrigger { Kind = DumpTriggerKinds.Oom, Pid = n.Pid }, endedPid: null, ct).ConfigureAwait(false);
                }
                break;
            case ControlKind.OomVictim:
                _oomVictims[n.Container] = n.Pid;
                _ = RequeueLaterAsync(n with { Status = DeferredOom }, ct);
                break;
            case ControlKind.FatalSignal when _options.DumpOnFatalSignal && CooledDown(n):
                await KeepAsync(n.Container, new DumpTrigger
                {
                    Kind = DumpTriggerKinds.FatalSignal,
                    Signal = n.Status,
                    SignalName = SignalNames.Name(n.Status),
                    Pid = n.Pid,
                }, endedPid: null, ct).ConfigureAwait(false);
                break;
            case ControlKind.SyscallError when CooledDown(n):
                await KeepAsync(n.Container, new DumpTrigger
                {
                    Kind = DumpTriggerKinds.SyscallError,
                    Syscall = SyscallTable.Name(n.Nr),
                    Errno = ErrnoTable.Name(-n.Status) ?? (-n.Status).ToString(CultureInfo.InvariantCulture),
                    Pid = n.Pid,
                }, endedPid: null, ct).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Keeps a dump and counts what became of it; the keeper logs each outcome with its container.</summary>
    private async Task KeepAsync(RecordedContainer container, DumpTrigger trigger, int? endedPid, CancellationToken ct)
    {
        _counts.Triggered();
        SaveOutcome outcome;
        try
        {
            outcome = await _keeper.KeepAsync(container, trigger, endedPid, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _counts.Failed();
            throw;
        }
        if (outcome.Saved is not null)
        {
            _counts.Saved();
        }
        else if (outcome.NothingRecorded)
        {
            _counts.NothingRecorded();
        }
        else
        {
            _counts.BelowFloor();
        }
    }

    private async Task RequeueLaterAsync(ContainerNotice notice, CancellationToken ct)
    {
        try
        {
            await Task.Delay(OomSettle, _time, ct).ConfigureAwait(false);
            _notices.Requeue(notice);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Each optional trigger keeps at most one dump per container per cooldown: a retry loop is one incident.</summary>
    private bool CooledDown(in ContainerNotice n)
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_lastOptional.TryGetValue((n.Container, n.Kind), out DateTimeOffset last) && now - last < _options.TriggerCooldown)
        {
            return false;
        }
        _lastOptional[(n.Container, n.Kind)] = now;
        return true;
    }

    /// <summary>
    /// The memory controller's count of OOM kills in the container's cgroup: the cross-check on
    /// kernels whose mark_victim tracepoint does not name the task (before 6.9), where only this says "OOM".
    /// </summary>
    private long OomKillCount(RecordedContainer c)
    {
        try
        {
            string dir = _cgroups.ToDirectory(c.CgroupPath);
            foreach (string file in (string[])["memory.events", "memory.oom_control"])
            {
                string path = Path.Join(dir, file);
                if (!File.Exists(path))
                {
                    continue;
                }
                foreach (string line in File.ReadLines(path))
                {
                    if (line.StartsWith("oom_kill ", StringComparison.Ordinal)
                        && long.TryParse(line.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
                    {
                        return n;
                    }
                }
            }
        }
        catch (IOException)
        {
            // The cgroup went already: the kernel's own notice is all there is.
        }
        return 0;
    }

    [LoggerMessage(EventId = 810, Level = LogLevel.Warning, Message = "{Count} crash notices were dropped: the collector fell behind")]
    private static partial void LogDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 811, Level = LogLevel.Error, Message = "Keeping a dump of container {Id} after {Kind} failed")]
    private static partial void LogFailed(ILogger logger, Exception e, string id, string kind);
}
