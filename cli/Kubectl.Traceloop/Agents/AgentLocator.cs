using System.Net;
using System.Net.Http;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubectl.Traceloop.Kube;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Agents;

/// <summary>
/// Finds the Traceloop agent that records a pod: the pod's node, then the DaemonSet's pod on
/// that node, by the labels deploy/ sets.
/// </summary>
internal sealed class AgentLocator(KubeSession session)
{
    public const string AgentLabelSelector = "app.kubernetes.io/name=traceloop,app.kubernetes.io/component=agent";

    /// <summary>The agent on the node that runs <paramref name="pod"/> in <paramref name="ns"/>.</summary>
    public async Task<AgentPod> ForPodAsync(string ns, string pod, CancellationToken ct)
    {
        V1Pod found;
        try
        {
            found = await session.Client.CoreV1.ReadNamespacedPodAsync(pod, ns, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new PluginException($"pod {pod} not found in namespace {ns}");
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            throw ApiFailure(e, $"get pod {pod} in namespace {ns}");
        }
        string? node = found.Spec?.NodeName;
        if (string.IsNullOrEmpty(node))
        {
            throw new PluginException($"pod {pod} in namespace {ns} is not scheduled to a node yet (phase {found.Status?.Phase ?? "unknown"})");
        }
        return await OnNodeAsync(node, ct).ConfigureAwait(false);
    }

    /// <summary>The agent on <paramref name="node"/>, usable for an exec, or a clear error.</summary>
    public async Task<AgentPod> OnNodeAsync(string node, CancellationToken ct)
    {
        IReadOnlyList<AgentPod> agents = await ListAsync($"spec.nodeName={node}", ct).ConfigureAwait(false);
        if (agents.Count == 0)
        {
            throw new PluginException($"no Traceloop agent on node {node}; is the DaemonSet installed?");
        }
        // During a rollout an old and a new pod can share the node: prefer one that can take the exec.
        AgentPod agent = agents.FirstOrDefault(a => a.NotUsableReason is null) ?? agents[0];
        if (agent.NotUsableReason is { } reason)
        {
            throw new AgentException(reason, AgentFailure.Unreachable);
        }
        return agent;
    }

    /// <summary>Every agent pod, one per node (the usable one when a node has several).</summary>
    public async Task<IReadOnlyList<AgentPod>> AllAsync(CancellationToken ct)
    {
        IReadOnlyList<AgentPod> agents = await ListAsync(null, ct).ConfigureAwait(false);
        if (agents.Count == 0)
        {
            throw new PluginException($"no Traceloop agents in namespace {session.AgentNamespace}; is the DaemonSet installed?");
        }
        return agents.GroupBy(a => a.Node, StringComparer.Ordinal)
            .Select(g => g.FirstOrDefault(a => a.NotUsableReason is null) ?? g.First())
            .OrderBy(a => a.Node, StringComparer.Ordinal)
            .ToList();
    }

    private async Task<IReadOnlyList<AgentPod>> ListAsync(string? fieldSelector, CancellationToken ct)
    {
        V1PodList list;
        try
        {
            list = await session.Client.CoreV1.ListNamespacedPodAsync(session.AgentNamespace,
                fieldSelector: fieldSelector, labelSelector: AgentLabelSelector, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            throw ApiFailure(e, $"list the Traceloop agent pods in namespace {session.AgentNamespace}");
        }
        return list.Items
            .Where(p => !string.IsNullOrEmpty(p.Spec?.NodeName) && p.Metadata?.DeletionTimestamp is null)
            .Select(p => new AgentPod(p.Metadata!.Name, p.Spec!.NodeName, p.Status?.Phase ?? "Unknown",
                p.Status?.ContainerStatuses?.Any(c => c.Name == AgentApi.Container && c.State?.Running is not null) ?? false))
            .ToList();
    }

    /// <summary>An API call's failure as one line: RBAC and credentials named as such.</summary>
    public static PluginException ApiFailure(Exception e, string what) => e switch
    {
        HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } h =>
            new PluginException($"forbidden: cannot {what} (RBAC): {StatusMessage(h)}", ExitCode.Failed, e),
        HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } =>
            new PluginException($"unauthorized: the API server rejected the kubeconfig's credentials", ExitCode.Failed, e),
        HttpOperationException h => new PluginException($"cannot {what}: {StatusMessage(h)}", ExitCode.Failed, e),
        _ => new PluginException($"cannot reach the API server to {what}: {e.Message}", ExitCode.Failed, e),
    };

    private static string StatusMessage(HttpOperationException e) =>
        Exec.PodExec.StatusMessage(e.Response.Content ?? "") ?? $"HTTP {(int)e.Response.StatusCode}";
}
