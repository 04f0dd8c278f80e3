using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Kubernetes;
using Traceloop.Gateway.Routing;
using static Traceloop.Gateway.Http.ResourceLists;

namespace Traceloop.Gateway.Http;

/// <summary>
/// Saved crash dumps, namespaced by the pod they were taken of: lists (one namespace, or all the
/// user may see), and get or delete of one dump, which must belong to the namespace in the path.
/// </summary>
internal static class CrashDumpEndpoints
{
    public const string Kind = "CrashDumpList";

    public static IEndpointRouteBuilder MapCrashDumpEndpoints(this IEndpointRouteBuilder app, string prefix)
    {
        app.MapGet(prefix + "/crashdumps", Gate.Guarded(context =>
            ResourceLists.ListAllAsync(context, Kind, "/dumps", ListEnvelope.DumpNamespace, ResourceAccess.ListCrashDumps)));
        app.MapGet(prefix + "/namespaces/{ns}/crashdumps", Gate.Guarded(context =>
            ResourceLists.ListNamespaceAsync(context, Kind, "/dumps", ResourceAccess.ListCrashDumps)));
        app.MapGet(prefix + "/namespaces/{ns}/crashdumps/{id}", Gate.Guarded(GetAsync));
        app.MapDelete(prefix + "/namespaces/{ns}/crashdumps/{id}", Gate.Guarded(DeleteAsync));
        return app;
    }

    private static async Task GetAsync(HttpContext context)
    {
        (AccessReviewer reviewer, AgentRouter router) = Services(context);
        string ns = Route(context, "ns"), id = Route(context, "id");
        if (!await Gate.AllowAsync(context, reviewer, ResourceAccess.GetCrashDump(ns, id)).ConfigureAwait(false))
        {
            return;
        }
        await ForwardToHolderAsync(context, router, HttpMethod.Get, ns, id).ConfigureAwait(false);
    }

    private static async Task DeleteAsync(HttpContext context)
    {
        (AccessReviewer reviewer, AgentRouter router) = Services(context);
        string ns = Route(context, "ns"), id = Route(context, "id");
        if (!await Gate.AllowAsync(context, reviewer, ResourceAccess.DeleteCrashDump(ns, id)).ConfigureAwait(false))
        {
            return;
        }
        await ForwardToHolderAsync(context, router, HttpMethod.Delete, ns, id).ConfigureAwait(false);
    }

    /// <summary>
    /// Dump ids are each agent's own: the one holding <paramref name="id"/> among the namespace's
    /// dumps is found by asking every agent for that namespace's list, so a dump of another
    /// namespace is "not found" here whoever asks.
    /// </summary>
    private static async Task ForwardToHolderAsync(HttpContext context, AgentRouter router, HttpMethod method, string ns, string id)
    {
        FanOutResult lists = await router.ListAsync(await router.AllAsync(context.RequestAborted).ConfigureAwait(false),
            "/dumps?namespace=" + Uri.EscapeDataString(ns), context.RequestAborted).ConfigureAwait(false);
        AgentPod? holder = lists.Answers.Where(a => a.Items.Any(i => ListEnvelope.Text(i?["id"]) == id && i is not null && ListEnvelope.DumpNamespace(i) == ns))
            .Select(a => a.Agent).FirstOrDefault();
        if (holder is null)
        {
            AccessRecord.Of(context).Result = "not-found";
            string unreachable = lists.Unreachable.Count == 0 ? "" : $" ({lists.Unreachable.Count} agent(s) did not answer)";
            await KubeStatus.WriteAsync(context, 404, $"crashdumps.{ResourceAccess.Group} \"{id}\" not found in namespace \"{ns}\"{unreachable}").ConfigureAwait(false);
            return;
        }
        AgentClient agents = context.RequestServices.GetRequiredService<AgentClient>();
        using HttpResponseMessage response = await agents.SendAsync(holder, method, "/dumps/" + Uri.EscapeDataString(id) + context.Request.QueryString.Value,
            context.RequestAborted).ConfigureAwait(false);
        await AgentRelay.RelayAsync(context, response).ConfigureAwait(false);
    }
}
