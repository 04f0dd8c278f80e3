using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Routing;

namespace Traceloop.Gateway.Http;

/// <summary>
/// The two list shapes every resource has: cluster-wide (every agent asked, items filtered to the
/// namespaces the user may list) and one namespace (reviewed once, the agents asked for it only).
/// </summary>
internal static class ResourceLists
{
    public static async Task ListAllAsync(HttpContext context, string kind, string agentPath,
        Func<JsonNode, string?> namespaceOf, Func<string, ResourceAccess> accessFor)
    {
        (AccessReviewer reviewer, AgentRouter router) = Services(context);
        AccessRecord.Of(context).Access = accessFor("");
        FanOutResult result = await router.ListAsync(await router.AllAsync(context.RequestAborted).ConfigureAwait(false), agentPath, context.RequestAborted).ConfigureAwait(false);
        (JsonArray items, int hidden) = await ListEnvelope.VisibleAsync(context, reviewer, AccessRecord.IdentityOf(context), ListEnvelope.Items(result),
            namespaceOf, accessFor).ConfigureAwait(false);
        await KubeStatus.WriteJsonAsync(context, 200, ListEnvelope.Build(kind, items, hidden, result.Unreachable)).ConfigureAwait(false);
    }

    /// <summary>The list of the route's namespace; <paramref name="agentPath"/> is the agents' list path, to which the namespace query is added.</summary>
    public static async Task ListNamespaceAsync(HttpContext context, string kind, string agentPath, Func<string, ResourceAccess> accessFor)
    {
        (AccessReviewer reviewer, AgentRouter router) = Services(context);
        string ns = Route(context, "ns");
        if (!await Gate.AllowAsync(context, reviewer, accessFor(ns)).ConfigureAwait(false))
        {
            return;
        }
        FanOutResult result = await router.ListAsync(await router.AllAsync(context.RequestAborted).ConfigureAwait(false),
            agentPath + "?namespace=" + Uri.EscapeDataString(ns), context.RequestAborted).ConfigureAwait(false);
        await KubeStatus.WriteJsonAsync(context, 200, ListEnvelope.Build(kind, new JsonArray([.. ListEnvelope.Items(result)]), 0, result.Unreachable)).ConfigureAwait(false);
    }

    public static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;

    public static (AccessReviewer, AgentRouter) Services(HttpContext context) =>
        (context.RequestServices.GetRequiredService<AccessReviewer>(), context.RequestServices.GetRequiredService<AgentRouter>());
}
