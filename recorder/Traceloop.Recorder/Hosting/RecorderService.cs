using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Hosting;

/// <summary>
/// Starts recording before the server listens: adopts the containers that already run, starts
/// reading the kernel's notices, then sweeps ended containers whose grace period is over, and
/// reconciles the registry with the kernel when notices were lost (and once a minute).
/// The kernel side itself (probes, rings, registry) is built by the container when this service
/// is constructed; a failure there stops the host with the reason.
/// </summary>
internal sealed partial class RecorderService(
    ContainerRegistry registry,
    IKernelNotices control,
    IRecordingKernel kernel,
    CgroupFs cgroups,
    IOptions<RecorderOptions> options,
    TimeProvider time,
    ILogger<RecorderService> logger) : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    // Besides after every lost notice, the registry is checked against the kernel this often:
    // a walk of the cgroup tree, cheap at this rate.
    private const int ReconcileEverySweeps = 60;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        control.Start();
        int adopted = registry.AdoptExisting();
        LogStarted(logger, kernel.AttachedPrograms.Count, cgroups.ToString(), registry.TakenOver, adopted, options.Value.RingSize, options.Value.MaxContainers);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        long drops = kernel.ControlDrops;
        // After a takeover the first sweep reconciles: notices may have been lost while no recorder ran.
        int sweeps = registry.TakenOver > 0 ? ReconcileEverySweeps : 0;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                long nowDrops = kernel.ControlDrops;
                if (nowDrops != drops || ++sweeps >= ReconcileEverySweeps)
                {
                    if (nowDrops != drops)
                    {
                        LogNoticesLost(logger, nowDrops - drops, nowDrops);
                    }
                    drops = nowDrops;
                    sweeps = 0;
                    registry.Reconcile();
                }
                registry.Sweep();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed sweep is tried again next second; the rings must outlive it.
                LogSweepFailed(logger, e);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        control.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Recording: {Programs} BPF programs attached, containers keyed by {CgroupRoot}, {TakenOver} containers taken over with their history, {Adopted} running containers adopted, {RingSize} ring per container, up to {MaxContainers} containers")]
    private static partial void LogStarted(ILogger logger, int programs, string cgroupRoot, int takenOver, int adopted, string ringSize, int maxContainers);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The kernel dropped {Count} container notices for want of room in the control ring ({Total} since start); reconciling with its containers map")]
    private static partial void LogNoticesLost(ILogger logger, long count, long total);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Releasing ended containers failed; trying again")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);
}
