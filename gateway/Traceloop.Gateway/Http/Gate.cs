using System.Net;
using Microsoft.AspNetCore.Http;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Kubernetes;
using Traceloop.Gateway.Routing;

namespace Traceloop.Gateway.Http;

/// <summary>
/// The two things every resource request goes through: the access review (403 with RBAC's
/// sentence when denied) and the translation of a failure upstream (API server, agent) into a
/// Status the caller can read, rather than a 500.
/// </summary>
internal static class Gate
{
    /// <summary>Records the access and reviews it; writes the refusal and returns false when the request may not go on.</summary>
    public static async Task<bool> AllowAsync(HttpContext context, AccessReviewer reviewer, ResourceAccess access)
    {
        AccessRecord record = AccessRecord.Of(context);
        record.Access = access;
        AccessDecision decision = await reviewer.ReviewAsync(record.Identity!, access, context.RequestAborted).ConfigureAwait(false);
        if (decision.Allowed)
        {
            return true;
        }
        record.Result = "forbidden";
        await KubeStatus.WriteAsync(context, 403, AccessReview.ForbiddenMessage(record.Identity!, access, decision.Reason)).ConfigureAwait(false);
        return false;
    }

    /// <summary>Runs a handler, answering what an upstream failure means instead of letting it escape.</summary>
    public static RequestDelegate Guarded(Func<HttpContext, Task> handler) => async context =>
    {
        try
        {
            await handler(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KubernetesRequestException or AgentUnreachableException or HttpRequestException
            or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            AccessRecord.Of(context).Result = "unavailable";
            if (context.Response.HasStarted)
            {
                // A dump cut off mid-stream: the client sees a truncated body; nothing more can be said in it.
                context.Abort();
                return;
            }
            string message = e switch
            {
                KubernetesRequestException k when k.Status == HttpStatusCode.Forbidden =>
                    $"the gateway's service account may not do what this request needs: {k.Message}",
                HttpRequestException => $"the API server cannot be reached: {e.Message}",
                _ => e.Message,
            };
            await KubeStatus.WriteAsync(context, 503, message).ConfigureAwait(false);
        }
    };
}
