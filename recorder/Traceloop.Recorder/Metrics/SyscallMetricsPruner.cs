using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Metrics;

/// <summary>
/// Deletes the kernel's syscall series of containers the recorder has let go (ended, and past the
/// grace period: gone from the containers map). Keyed by cgroup id, they would otherwise stay
/// until the maps are full; a container whose notice has not reached the registry yet is still in
/// the containers map, so it keeps its series.
/// </summary>
internal sealed partial class SyscallMetricsPruner(IKernelMetrics metrics, IRecordingKernel kernel, TimeProvider time, ILogger<SyscallMetricsPruner> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>One pass; returns how many containers' series were deleted.</summary>
    public int Prune() => metrics.Forget(cgroup => kernel.TryGetContainer(cgroup, out _));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!metrics.Enabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                int gone = Prune();
                if (gone > 0)
                {
                    LogPruned(logger, gone);
                }
            }
            catch (BpfException e)
            {
                // Tried again next interval; the series only cost map room meanwhile.
                LogPruneFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 160, Level = LogLevel.Debug, Message = "Deleted the syscall metrics of {Count} containers that ended")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(EventId = 161, Level = LogLevel.Warning, Message = "Deleting the syscall metrics of ended containers failed ({Reason}); trying again")]
    private static partial void LogPruneFailed(ILogger logger, string reason);
}
