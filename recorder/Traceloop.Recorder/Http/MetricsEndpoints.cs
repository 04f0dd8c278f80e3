using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Metrics;

namespace Traceloop.Recorder.Http;

/// <summary><c>GET /metrics</c>: the Prometheus text exposition (docs/METRICS.md).</summary>
internal static class MetricsEndpoints
{
    public const string Path = "/metrics";

    private const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapMetricsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, async (HttpContext context, RecorderMetrics metrics) =>
        {
            context.Response.ContentType = ContentType;
            await metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        return app;
    }

    /// <summary>
    /// The metrics listener (--metrics-address) serves /metrics and nothing else: the API's dumps
    /// hold every argument a container passed, and it is plain HTTP. Other listeners (the socket,
    /// the cluster's mutual-TLS one) are told apart by their port and pass.
    /// </summary>
    public static IApplicationBuilder UseMetricsOnlyOverTcp(this IApplicationBuilder app)
    {
        int? metricsPort = app.ApplicationServices.GetRequiredService<IOptions<MetricsOptions>>().Value.Endpoint()?.Port;
        return metricsPort is not { } port ? app : app.Use(async (context, next) =>
    {
        if (context.Connection.LocalIpAddress is not null && context.Connection.LocalPort == port
            && !(HttpMethods.IsGet(context.Request.Method) && context.Request.Path == Path))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("only GET /metrics is served on this address\n").ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    });
    }
}
