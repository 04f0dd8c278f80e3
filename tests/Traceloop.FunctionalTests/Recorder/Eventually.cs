namespace Traceloop.FunctionalTests.Recorder;

/// <summary>Waits for a condition that becomes true asynchronously (a container listed, a ring released).</summary>
public static class Eventually
{
    /// <param name="lastSeen">What the probe saw last, for the timeout's message: why it never held.</param>
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what, Func<string>? lastSeen = null) where T : class
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (await probe().ConfigureAwait(false) is { } value)
            {
                return value;
            }
            try
            {
                await Task.Delay(25, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds} s waiting for {what}"
                    + (lastSeen is null ? "" : $"; last seen: {lastSeen()}"));
            }
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> probe, TimeSpan timeout, string what) =>
        await GetAsync<object>(async () => await probe().ConfigureAwait(false) ? new object() : null, timeout, what).ConfigureAwait(false);
}
