using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Traceloop.Gateway.Authentication;

namespace Traceloop.Gateway.Http;

/// <summary>
/// Every request but the health probes: authenticated as the front proxy's forwarded user (401
/// otherwise, whatever headers it carries), then answered, then written to the audit log with
/// what was served.
/// </summary>
internal sealed class FrontProxyAuthentication(RequestDelegate next, FrontProxyTrustSource trust, ILogger<FrontProxyAuthentication> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.Value is "/healthz" or "/livez" or "/readyz")
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        long started = Stopwatch.GetTimestamp();
        var record = new AccessRecord();
        context.Items[typeof(AccessRecord)] = record;
        var counter = new CountingStream(context.Response.Body);
        context.Response.Body = counter;
        try
        {
            var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
            record.Identity = FrontProxyAuthenticator.Authenticate(trust.Current, certificate, context.Request.Headers, out string? refusal);
            if (record.Identity is null)
            {
                record.Result = "unauthenticated";
                await KubeStatus.WriteAsync(context, 401, $"Unauthorized: {refusal}").ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            AccessAudit.Log(logger, record.Identity?.User ?? "", string.Join(',', record.Identity?.Groups ?? []),
                record.Access?.Verb ?? context.Request.Method.ToLowerInvariant(), record.Access?.FullResource ?? "",
                record.Access?.Namespace ?? "", record.Access?.Name ?? "", context.Response.StatusCode, record.Result,
                counter.Written, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, context.Request.Path.Value ?? "");
        }
    }
}
