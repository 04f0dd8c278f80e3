using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Tls;

namespace Traceloop.Recorder.Http;

/// <summary><c>GET /healthz</c> and <c>GET /version</c>.</summary>
internal static class SystemEndpoints
{
    public static IEndpointRouteBuilder MapSystemEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (ContainerRegistry registry, CrashCounts crashes) => TypedResults.Ok(new HealthStatus
        {
            Status = "ok",
            Containers = registry.Count,
            CrashDumps = crashes.Read(),
        }));
        app.MapGet("/version", (IRecordingKernel kernel, TlsProbeService tls) => TypedResults.Ok(new VersionInfo
        {
            Version = RecorderVersion.Value,
            DumpFormatVersion = DumpHeader.CurrentFormatVersion,
            Kernel = Environment.OSVersion.VersionString,
            Programs = kernel.AttachedPrograms,
            Tls = tls.Status() is { } status
                ? new TlsProbeCounts
                {
                    FilesProbed = status.FilesProbed,
                    Uprobes = status.Uprobes,
                    BinariesSkipped = status.BinariesSkipped,
                    AttachFailures = status.AttachFailures,
                    ExecNoticesDropped = status.ExecNoticesDropped,
                    Unavailable = status.Unavailable,
                }
                : null,
        }));
        // Unknown paths get the same JSON error shape as every other failure.
        app.MapFallback((HttpContext context) =>
            Problems.NotFound($"no endpoint {context.Request.Method} {context.Request.Path}; see GET /containers, /containers/{{id}}/dump, /pods/{{namespace}}/{{pod}}/dump, /healthz, /version"));
        return app;
    }
}
