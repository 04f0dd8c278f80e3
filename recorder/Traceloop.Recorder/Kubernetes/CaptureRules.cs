using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// Applies <see cref="CaptureOptions"/> in the kernel: every pod of this node gets its level in
/// the capture_levels map under its cgroup names, so its containers get it at cgroup_mkdir, and
/// running containers whose level changed (the pod became known, the rules changed) get it in
/// their kernel entry at once.
/// </summary>
/// <remarks>
/// Reloads work as <see cref="PodSelection"/>'s do, for the same reasons: a reloaded plan that
/// does not validate is refused (counted, logged) and the last good one stays in force, so a typo
/// never turns a restricted namespace into a fully captured one.
/// </remarks>
internal sealed partial class CaptureRules : IHostedService, IDisposable
{
    private readonly ContainerRegistry _registry;
    private readonly PodCaptureLevels _levels;
    private readonly PodCache _pods;
    private readonly IOptionsFactory<CaptureOptions> _factory;
    private readonly IOptionsChangeTokenSource<CaptureOptions>[] _sources;
    private readonly ILogger<CaptureRules> _logger;
    private readonly List<IDisposable> _reloads = [];
    private CapturePlan? _current;
    private int _refusedReloads;

    public CaptureRules(
        ContainerRegistry registry,
        PodCaptureLevels levels,
        PodCache pods,
        IOptionsFactory<CaptureOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<CaptureOptions>> sources,
        ILogger<CaptureRules> logger)
    {
        _registry = registry;
        _levels = levels;
        _pods = pods;
        _factory = factory;
        _sources = [.. sources];
        _logger = logger;
    }

    /// <summary>How many reloaded plans were refused, each leaving the previous one in force.</summary>
    public int RefusedReloads => Volatile.Read(ref _refusedReloads);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Validated at start (ValidateOnStart): one that fails here fails the start.
        Volatile.Write(ref _current, Parse(_factory.Create(Options.DefaultName)));
        _pods.Changed += OnPodChanged;
        foreach (IOptionsChangeTokenSource<CaptureOptions> source in _sources)
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

    private static CapturePlan Parse(CaptureOptions options) =>
        CapturePlan.TryParse(options, out CapturePlan? plan, out string? error)
            ? plan
            : throw new OptionsValidationException(Options.DefaultName, typeof(CaptureOptions), [error]);

    // Runs inside the configuration's reload callback: nothing may escape from here.
    private void Reload(string name)
    {
        CapturePlan plan;
        try
        {
            plan = Parse(_factory.Create(name));
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
        Volatile.Write(ref _current, plan);
        ApplyAll();
    }

    private void Refuse(string reason)
    {
        Interlocked.Increment(ref _refusedReloads);
        LogRefused(_logger, reason);
    }

    private CapturePlan Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("CaptureRules is not started.");

    private void OnPodChanged(PodChange change)
    {
        if (change.Kind == PodChangeKind.Removed)
        {
            _levels.Remove(change.Pod.Uid);
            return;
        }
        if (_levels.Set(change.Pod.Uid, Current.For(change.Pod)))
        {
            _registry.ApplyCaptureLevels();
        }
    }

    private void ApplyAll()
    {
        CapturePlan plan = Current;
        _levels.SetDefault(plan.Default);
        foreach (PodInfo pod in _pods.Pods)
        {
            _levels.Set(pod.Uid, plan.For(pod));
        }
        int changed = _registry.ApplyCaptureLevels();
        LogApplied(_logger, CaptureLevels.Format(plan.Default), plan.RuleCount, _pods.Count, changed);
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

    [LoggerMessage(EventId = 425, Level = LogLevel.Information, Message = "Capture levels applied: default {Default}, {Rules} rules, {Pods} pods on this node, {Changed} running containers changed level")]
    private static partial void LogApplied(ILogger logger, string @default, int rules, int pods, int changed);

    [LoggerMessage(EventId = 426, Level = LogLevel.Error, Message = "The reloaded capture levels were refused and the previous ones stay in force: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
