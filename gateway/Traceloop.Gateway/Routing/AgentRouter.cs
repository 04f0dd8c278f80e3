using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Traceloop.Gateway.Hosting;
using Traceloop.Gateway.Kubernetes;

namespace Traceloop.Gateway.Routing;

/// <summary>What every agent answered to one list request: their items, and the nodes that did not answer.</summary>
internal sealed record FanOutResult(List<(AgentPod Agent, JsonArray Items)> Answers, JsonArray Unreachable);

/// <summary>
/// Which agent serves a request: the one on the pod's node (found from the pod, then the agent pod
/// on that node), or all of them for a cluster-wide list, asked a bounded number at a time, each
/// within the agent timeout; an agent that does not answer is reported, not fatal.
/// </summary>
internal sealed class AgentRouter(ApiServerClient apiServer, AgentClient agents, IOptions<GatewayOptions> options)
{
    private const int MaxListBytes = 64 * 1024 * 1024;
    private readonly GatewayOptions _options = options.Value;

    /// <summary>
    /// The agents that may hold a pod's recording: the one on its node; every agent when the pod is
    /// gone from the API (an ended pod stays dumpable for the recorder's grace period).
    /// </summary>
    public async Task<List<AgentPod>> ForPodAsync(string ns, string pod, CancellationToken ct)
    {
        string? node = await apiServer.GetPodNodeAsync(ns, pod, ct).ConfigureAwait(false);
        return await apiServer.ListAgentsAsync(_options.AgentNamespace, _options.AgentSelector, node, ct).ConfigureAwait(false);
    }

    public Task<List<AgentPod>> AllAsync(CancellationToken ct) =>
        apiServer.ListAgentsAsync(_options.AgentNamespace, _options.AgentSelector, null, ct);

    /// <summary>GETs <paramref name="pathAndQuery"/> (a JSON array) from each agent.</summary>
    public async Task<FanOutResult> ListAsync(IReadOnlyList<AgentPod> targets, string pathAndQuery, CancellationToken ct)
    {
        var answers = new List<(AgentPod, JsonArray)>();
        var unreachable = new JsonArray();
        var gate = new Lock();
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = _options.AgentConcurrency, CancellationToken = ct },
            async (agent, token) =>
            {
                try
                {
                    JsonArray items = await GetArrayAsync(agent, pathAndQuery, token).ConfigureAwait(false);
                    lock (gate)
                    {
                        answers.Add((agent, items));
                    }
                }
                catch (AgentUnreachableException e)
                {
                    lock (gate)
                    {
                        unreachable.Add((JsonNode)new JsonObject { ["node"] = agent.Node, ["agent"] = agent.Name, ["reason"] = e.Reason });
                    }
                }
            }).ConfigureAwait(false);
        return new FanOutResult(answers, unreachable);
    }

    private async Task<JsonArray> GetArrayAsync(AgentPod agent, string pathAndQuery, CancellationToken ct)
    {
        using HttpResponseMessage response = await agents.SendAsync(agent, HttpMethod.Get, pathAndQuery, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new AgentUnreachableException(agent, $"it answered {(int)response.StatusCode} to {pathAndQuery.Split('?')[0]}", new HttpRequestException());
        }
        if (response.Content.Headers.ContentLength > MaxListBytes)
        {
            throw new AgentUnreachableException(agent, $"its list is larger than {MaxListBytes} bytes", new HttpRequestException());
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.AgentTimeout);
            Stream body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await JsonNode.ParseAsync(body, cancellationToken: timeout.Token).ConfigureAwait(false) as JsonArray
                ?? throw new AgentUnreachableException(agent, "its list is not a JSON array", new JsonException());
        }
        catch (Exception e) when (e is JsonException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new AgentUnreachableException(agent, $"its list could not be read: {e.Message}", e);
        }
    }
}
