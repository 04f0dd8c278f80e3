using Microsoft.Extensions.Hosting;

namespace Traceloop.Recorder.Hosting;

/// <summary>Starts the recorder before the server listens, and sweeps ended containers whose grace period is over.</summary>
internal sealed class RecorderService(NodeRecorder recorder, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        recorder.Start();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            recorder.Registry.Sweep();
        }
    }
}
