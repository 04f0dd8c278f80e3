using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// Applies <see cref="SelectionOptions"/> in the kernel: for every pod of this node that is
/// left out, the names its cgroup can have go into the excluded_pods map, so its containers
/// are refused at cgroup_mkdir and never write a record. A pod left out after its containers
/// started (its object arrived late, or the selection changed) has them released; a pod
/// selected again has its running containers adopted.
/// </summary>
/// <remarks>
/// A reloaded selection that does not validate is refused and the last good one stays in force
/// (<see cref="ReloadedPlan{TOptions, TPlan}"/>): an unparsable selector must not turn into
/// "record everything".
/// </remarks>
internal sealed partial class PodSelection : IHostedService, IDisposable
{
    private readonly ContainerRegistry _registry;
    private readonly PodExclusions _exclusions;
    private readonly PodCache _pods;
    private readonly ReloadedPlan<SelectionOptions, Selection> _plan;
    private readonly ILogger<PodSelection> _logger;

    public PodSelection(
        ContainerRegistry registry,
        PodExclusions exclusions,
        PodCache pods,
        IOptionsFactory<SelectionOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<SelectionOptions>> sources,
        ILogger<PodSelection> logger)
    {
        _registry = registry;
        _exclusions = exclusions;
        _pods = pods;
        _plan = new ReloadedPlan<SelectionOptions, Selection>(factory, sources, Selection.Parse);
        _logger = logger;
    }

    public int ExcludedCount => _exclusions.Count;

    /// <summary>How many reloaded selections were refused, each leaving the previous one in force.</summary>
    public int RefusedReloads => _plan.Refused;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _plan.Start(applied: ApplyAll, refused: reason => LogRefused(_logger, reason));
        _pods.Changed += OnPodChanged;
        ApplyAll();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _pods.Changed -= OnPodChanged;
        _plan.Dispose();
        return Task.CompletedTask;
    }

    private void OnPodChanged(PodChange change)
    {
        if (change.Kind == PodChangeKind.Removed)
        {
            Include(change.Pod.Uid, adopt: false);
            return;
        }
        Apply(change.Pod, Current);
    }

    private Selection Current => _plan.Current;

    private void ApplyAll()
    {
        Selection selection = Current;
        foreach (PodInfo pod in _pods.Pods)
        {
            Apply(pod, selection);
        }
        LogApplied(_logger, ExcludedCount, _pods.Count);
    }

    private void Apply(PodInfo pod, Selection selection)
    {
        if (selection.Options.Selects(pod, selection.Selector))
        {
            Include(pod.Uid, adopt: true);
        }
        else
        {
            Exclude(pod);
        }
    }

    private void Exclude(PodInfo pod)
    {
        // Kernel first: no new container of the pod is adopted from here on.
        if (!_exclusions.Exclude(pod.Uid))
        {
            return;
        }
        int released = _registry.ReleasePod(pod.Uid);
        LogExcluded(_logger, pod.FullName, released);
    }

    private void Include(string uid, bool adopt)
    {
        if (_exclusions.Include(uid) && adopt)
        {
            _registry.AdoptExisting();
        }
    }

    public void Dispose() => _plan.Dispose();

    /// <summary>A selection that validated, with its selector parsed once.</summary>
    private sealed record Selection(SelectionOptions Options, LabelSelector Selector)
    {
        // Checked here as well as by SelectionOptionsValidator, so a selector that does not parse
        // is refused even where the validator is not registered, never read as "everything".
        public static Selection Parse(SelectionOptions options) =>
            LabelSelector.TryParse(options.LabelSelector, out LabelSelector selector, out string? error)
                ? new Selection(options, selector)
                : throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(SelectionOptions), [$"Selection:LabelSelector: {error}"]);
    }

    [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Selection applied: {Excluded} of {Pods} pods on this node are not recorded")]
    private static partial void LogApplied(ILogger logger, int excluded, int pods);

    [LoggerMessage(EventId = 421, Level = LogLevel.Information, Message = "Pod {Pod} is not selected: its containers are not recorded ({Released} released)")]
    private static partial void LogExcluded(ILogger logger, string pod, int released);

    [LoggerMessage(EventId = 422, Level = LogLevel.Error, Message = "The reloaded selection was refused and the previous selection stays in force: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
