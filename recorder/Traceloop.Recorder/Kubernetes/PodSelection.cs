using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
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
/// (fail closed: an unparsable selector must not turn into "record everything"). The selection is
/// built afresh from the factory on each change token rather than read from
/// <see cref="IOptionsMonitor{TOptions}"/>: the monitor drops its cached value before it
/// validates the new one, so after a refused reload its <c>CurrentValue</c> throws
/// <see cref="OptionsValidationException"/> until the file is fixed, and its <c>OnChange</c>
/// listeners are never told about the refused reload.
/// </remarks>
internal sealed partial class PodSelection : IHostedService, IDisposable
{
    private readonly ContainerRegistry _registry;
    private readonly PodExclusions _exclusions;
    private readonly PodCache _pods;
    private readonly IOptionsFactory<SelectionOptions> _factory;
    private readonly IOptionsChangeTokenSource<SelectionOptions>[] _sources;
    private readonly ILogger<PodSelection> _logger;
    private readonly List<IDisposable> _reloads = [];
    private Selection? _current;
    private int _refusedReloads;

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
        _factory = factory;
        _sources = [.. sources];
        _logger = logger;
    }

    public int ExcludedCount => _exclusions.Count;

    /// <summary>How many reloaded selections were refused, each leaving the previous one in force.</summary>
    public int RefusedReloads => Volatile.Read(ref _refusedReloads);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The first selection was validated at start (ValidateOnStart); one that fails here fails the start.
        Volatile.Write(ref _current, Selection.Parse(_factory.Create(Options.DefaultName)));
        _pods.Changed += OnPodChanged;
        foreach (IOptionsChangeTokenSource<SelectionOptions> source in _sources)
        {
            _reloads.Add(ChangeToken.OnChange(source.GetChangeToken, Reload, source.Name ?? Options.DefaultName));
        }
        ApplyAll();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _pods.Changed -= OnPodChanged;
        DisposeReloads();
        return Task.CompletedTask;
    }

    // Runs inside the configuration's reload callback: nothing may escape from here.
    private void Reload(string name)
    {
        Selection selection;
        try
        {
            selection = Selection.Parse(_factory.Create(name));
        }
        catch (OptionsValidationException e)
        {
            Refuse(e.Message);
            return;
        }
        catch (InvalidOperationException e)
        {
            // The binder could not convert a value.
            Refuse(e.Message);
            return;
        }
        Volatile.Write(ref _current, selection);
        ApplyAll();
    }

    private void Refuse(string reason)
    {
        Interlocked.Increment(ref _refusedReloads);
        LogRefused(_logger, reason);
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

    private Selection Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("PodSelection is not started.");

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

    private void DisposeReloads()
    {
        foreach (IDisposable reload in _reloads)
        {
            reload.Dispose();
        }
        _reloads.Clear();
    }

    public void Dispose() => DisposeReloads();

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
