namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// Retry delays that double from <c>initial</c> up to <c>max</c>, each drawn between half and
/// all of its step ("equal jitter"), so the recorders of a whole cluster, which all lose the API
/// server at once, do not all come back at once.
/// </summary>
internal sealed class ExponentialBackoff(TimeSpan initial, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private int _failures;

    /// <summary>Failures in a row since the last <see cref="Reset"/>.</summary>
    public int Failures => _failures;

    public TimeSpan Next()
    {
        // 2^30 steps overflow nothing and are far past any cap.
        double step = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 30)));
        _failures++;
        return TimeSpan.FromMilliseconds(step / 2 + _random.NextDouble() * step / 2);
    }

    public void Reset() => _failures = 0;
}
