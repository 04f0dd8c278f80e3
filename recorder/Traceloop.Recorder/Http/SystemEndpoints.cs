using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Traceloop.Api;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Recorder.Http;

/// <summary><c>GET /healthz</c> and <c>GET /version</c>.</summary>
internal static class SystemEndpoints
{
    public static IEndpointRouteBuilder MapSystemEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (NodeRecorder recorder) => TypedResults.Ok(new HealthStatus
        {
            Status = "ok",
            Containers = recorder.Registry.List().Count,
        }));
        app.MapGet("/version", (NodeRecorder recorder) => TypedResults.Ok(new VersionInfo
        {
            Version = RecorderVersion.Value,
            DumpFormatVersion = DumpHeader.CurrentFormatVersion,
            Kernel = Environment.OSVersion.VersionString,
            Programs = recorder.Programs,
        }));
        // Unknown paths get the same JSON error shape as every other failure.
        app.MapFallback((HttpContext context) =>
            Problems.NotFound($"no endpoint {context.Request.Method} {context.Request.Path}; see GET /containers, /containers/{{id}}/dump, /pods/{{namespace}}/{{pod}}/dump, /healthz, /version"));
        return app;
    }
}
