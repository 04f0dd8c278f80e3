using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Traceloop.Recorder.Http;

/// <summary>
/// How many dumps are served or saved at once. Every live dump holds a copy of its rings (up to
/// 2 MiB each) and their event index while its reader takes the body, and a saved dump holds its
/// decoded events, so without a bound a crowd of slow readers grows the recorder until the
/// node's memory limit kills it, and every ring with it. Beyond the limit a request waits in a
/// short queue, holding nothing but its connection; beyond the queue it is answered 503 with
/// Retry-After.
/// </summary>
internal static class DumpConcurrency
{
    /// <summary>The rate-limiting policy every endpoint that takes or reads a dump requires.</summary>
    public const string Policy = "dumps";

    /// <summary>Seconds a refused client is told to wait: a fast dump takes well under that.</summary>
    public const int RetryAfterSeconds = 1;

    public static void Configure(RateLimiterOptions options, int permits, int queue)
    {
        options.AddConcurrencyLimiter(Policy, limiter =>
        {
            limiter.PermitLimit = permits;
            limiter.QueueLimit = queue;
            limiter.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
        });
        options.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
        options.OnRejected = async (rejected, ct) =>
        {
            HttpContext context = rejected.HttpContext;
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await Problems.Problem(StatusCodes.Status503ServiceUnavailable, "Service Unavailable",
                $"{permits} dumps are being served and {queue} more are waiting; retry in a moment").ExecuteAsync(context).ConfigureAwait(false);
        };
    }
}
