using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// A reloaded plan that does not validate is refused (counted, logged) and the last good one
/// stays in force (<see cref="ReloadedPlan{TOptions, TPlan}"/>), so a typo never turns a
/// restricted namespace into a fully captured one.
/// </remarks>
internal sealed partial class CaptureRules : IHostedService, IDisposable
{
    private readonly ContainerRegistry _registry;
    private readonly PodCaptureLevels _levels;
    private readonly PodCache _pods;
    private readonly ReloadedPlan<CaptureOptions, CapturePlan> _plan;
    private readonly ILogger<CaptureRules> _logger;

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
        _plan = new ReloadedPlan<CaptureOptions, CapturePlan>(factory, sources, Parse);
        _logger = logger;
    }

    /// <summary>How many reloaded plans were refused, each leaving the previous one in force.</summary>
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

    private static CapturePlan Parse(CaptureOptions options) =>
        CapturePlan.TryParse(options, out CapturePlan? plan, out string? error)
            ? plan
            : throw new OptionsValidationException(Options.DefaultName, typeof(CaptureOptions), [error]);

    private CapturePlan Current => _plan.Current;

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

    public void Dispose() => _plan.Dispose();

    [LoggerMessage(EventId = 425, Level = LogLevel.Information, Message = "Capture levels applied: default {Default}, {Rules} rules, {Pods} pods on this node, {Changed} running containers changed level")]
    private static partial void LogApplied(ILogger logger, string @default, int rules, int pods, int changed);

    [LoggerMessage(EventId = 426, Level = LogLevel.Error, Message = "The reloaded capture levels were refused and the previous ones stay in force: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
