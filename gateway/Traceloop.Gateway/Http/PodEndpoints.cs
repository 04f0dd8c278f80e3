using System.Text.Json.Nodes;
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
/// Recorded pods: the lists (one namespace, or all the user may see), one pod's containers, its
/// live dump and a snapshot, each routed to the agent on the pod's node.
/// </summary>
internal static class PodEndpoints
{
    public const string Kind = "RecordedContainerList";

    public static IEndpointRouteBuilder MapPodEndpoints(this IEndpointRouteBuilder app, string prefix)
    {
        app.MapGet(prefix + "/pods", Gate.Guarded(context =>
            ResourceLists.ListAllAsync(context, Kind, "/containers", ListEnvelope.ContainerNamespace, ResourceAccess.ListPods)));
        app.MapGet(prefix + "/namespaces/{ns}/pods", Gate.Guarded(context =>
            ResourceLists.ListNamespaceAsync(context, Kind, "/containers", ResourceAccess.ListPods)));
        app.MapGet(prefix + "/namespaces/{ns}/pods/{pod}", Gate.Guarded(GetAsync));
        app.MapGet(prefix + "/namespaces/{ns}/pods/{pod}/dump", Gate.Guarded(DumpAsync));
        app.MapPost(prefix + "/namespaces/{ns}/pods/{pod}/snapshot", Gate.Guarded(SnapshotAsync));
        return app;
    }

    private static async Task GetAsync(HttpContext context)
    {
        (AccessReviewer reviewer, AgentRouter router) = Services(context);
        string ns = Route(context, "ns"), pod = Route(context, "pod");
        if (!await Gate.AllowAsync(context, reviewer, ResourceAccess.GetPod(ns, pod)).ConfigureAwait(false))
        {
            return;
        }
        FanOutResult result = await router.ListAsync(await router.ForPodAsync(ns, pod, context.RequestAborted).ConfigureAwait(false),
            $"/containers?namespace={Uri.EscapeDataString(ns)}&pod={Uri.EscapeDataString(pod)}", context.RequestAborted).ConfigureAwait(false);
        List<JsonNode> items = ListEnvelope.Items(result);
        if (items.Count == 0 && result.Unreachable.Count == 0)
        {
            AccessRecord.Of(context).Result = "not-found";
            await KubeStatus.WriteAsync(context, 404, $"pods.{ResourceAccess.Group} \"{pod}\" not found: no container of pod {ns}/{pod} is recorded").ConfigureAwait(false);
            return;
        }
        await KubeStatus.WriteJsonAsync(context, 200, ListEnvelope.Build(Kind, new JsonArray([.. items]), 0, result.Unreachable)).ConfigureAwait(false);
    }

    private static async Task DumpAsync(HttpContext context)
    {
        (AccessReviewer reviewer, AgentRouter router) = Services(context);
        string ns = Route(context, "ns"), pod = Route(context, "pod");
        if (!await Gate.AllowAsync(context, reviewer, ResourceAccess.DumpPod(ns, pod)).ConfigureAwait(false))
        {
            return;
        }
        await ForwardToPodAsync(context, router, HttpMethod.Get, $"/pods/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(pod)}/dump", ns, pod).ConfigureAwait(false);
    }

    private static async Task SnapshotAsync(HttpContext context)
    {
        (AccessReviewer reviewer, AgentRouter router) = Services(context);
        string ns = Route(context, "ns"), pod = Route(context, "pod");
        if (!await Gate.AllowAsync(context, reviewer, ResourceAccess.SnapshotPod(ns, pod)).ConfigureAwait(false))
        {
            return;
        }
        await ForwardToPodAsync(context, router, HttpMethod.Post, $"/pods/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(pod)}/snapshot", ns, pod).ConfigureAwait(false);
    }

    /// <summary>
    /// To the agent on the pod's node, with the caller's query as it is. When the pod is gone from
    /// the API (ended, within the recorder's grace period) the agent that still knows it is found
    /// by asking each for the pod's containers.
    /// </summary>
    private static async Task ForwardToPodAsync(HttpContext context, AgentRouter router, HttpMethod method, string path, string ns, string pod)
    {
        AgentClient agents = context.RequestServices.GetRequiredService<AgentClient>();
        List<AgentPod> candidates = await router.ForPodAsync(ns, pod, context.RequestAborted).ConfigureAwait(false);
        if (candidates.Count > 1)
        {
            FanOutResult holders = await router.ListAsync(candidates,
                $"/containers?namespace={Uri.EscapeDataString(ns)}&pod={Uri.EscapeDataString(pod)}", context.RequestAborted).ConfigureAwait(false);
            candidates = [.. holders.Answers.Where(a => a.Items.Count > 0).Select(a => a.Agent)];
        }
        if (candidates.Count == 0)
        {
            AccessRecord.Of(context).Result = "not-found";
            await KubeStatus.WriteAsync(context, 404, $"no agent records pod {ns}/{pod}: it is not on a node with a running traceloop agent, or it ended longer ago than the grace period").ConfigureAwait(false);
            return;
        }
        using HttpResponseMessage response = await agents.SendAsync(candidates[0], method, path + context.Request.QueryString.Value, context.RequestAborted).ConfigureAwait(false);
        await AgentRelay.RelayAsync(context, response).ConfigureAwait(false);
    }
}
