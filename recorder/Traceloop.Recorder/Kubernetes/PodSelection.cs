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
internal sealed partial class PodSelection : IHostedService, IDisposable
{
    private readonly ContainerRegistry _registry;
    private readonly PodExclusions _exclusions;
    private readonly PodCache _pods;
    private readonly IOptionsMonitor<SelectionOptions> _options;
    private readonly ILogger<PodSelection> _logger;
    private IDisposable? _reload;

    public PodSelection(ContainerRegistry registry, PodExclusions exclusions, PodCache pods, IOptionsMonitor<SelectionOptions> options, ILogger<PodSelection> logger)
    {
        _registry = registry;
        _exclusions = exclusions;
        _pods = pods;
        _options = options;
        _logger = logger;
    }

    public int ExcludedCount => _exclusions.Count;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _pods.Changed += OnPodChanged;
        _reload = _options.OnChange(_ => ApplyAll());
        ApplyAll();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _pods.Changed -= OnPodChanged;
        _reload?.Dispose();
        return Task.CompletedTask;
    }

    private void OnPodChanged(PodChange change)
    {
        if (change.Kind == PodChangeKind.Removed)
        {
            Include(change.Pod.Uid, adopt: false);
            return;
        }
        Apply(change.Pod, Selector());
    }

    private void ApplyAll()
    {
        LabelSelector selector = Selector();
        foreach (PodInfo pod in _pods.Pods)
        {
            Apply(pod, selector);
        }
        LogApplied(_logger, ExcludedCount, _pods.Count);
    }

    private LabelSelector Selector() =>
        LabelSelector.TryParse(_options.CurrentValue.LabelSelector, out LabelSelector selector, out _) ? selector : LabelSelector.Everything;

    private void Apply(PodInfo pod, LabelSelector selector)
    {
        if (_options.CurrentValue.Selects(pod, selector))
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

    public void Dispose() => _reload?.Dispose();

    [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Selection applied: {Excluded} of {Pods} pods on this node are not recorded")]
    private static partial void LogApplied(ILogger logger, int excluded, int pods);

    [LoggerMessage(EventId = 421, Level = LogLevel.Information, Message = "Pod {Pod} is not selected: its containers are not recorded ({Released} released)")]
    private static partial void LogExcluded(ILogger logger, string pod, int released);
}
