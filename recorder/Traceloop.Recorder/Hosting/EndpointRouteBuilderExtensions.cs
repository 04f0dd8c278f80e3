using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traceloop.Recorder.Http;
using Traceloop.Recorder.Metrics;

namespace Traceloop.Recorder.Hosting;

internal static class EndpointRouteBuilderExtensions
{
    /// <summary>
    /// The whole HTTP API, with its error handler and the limit on dumps at once
    /// (<see cref="DumpConcurrency"/>, configured with the services): what the daemon serves and
    /// what the endpoint tests host.
    /// </summary>
    public static WebApplication MapTraceloopApi(this WebApplication app)
    {
        // First: the TCP metrics listener answers nothing else, not even an error page of the API.
        app.UseMetricsOnlyOverTcp();
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            // Reached only by a bug: user input is validated before it can throw.
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await Problems.Problem(500, "Internal Server Error", "the recorder failed to answer; see its log").ExecuteAsync(context).ConfigureAwait(false);
        }));
        // Routing first, so the limiter sees which endpoint (and policy) a request is for.
        app.UseRouting();
        app.UseRateLimiter();
        app.UseApiRequestMetrics();
        app.MapMetricsEndpoints();
        app.MapSystemEndpoints();
        app.MapContainerEndpoints();
        app.MapSavedDumpEndpoints();
        app.MapCompatibilityEndpoints();
        return app;
    }
}
