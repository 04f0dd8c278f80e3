using Kubectl.Traceloop.Exec;
using Kubectl.Traceloop.Kube;

namespace Kubectl.Traceloop.Agents;

/// <summary>
/// Calls the node API of the recorder behind an agent pod by exec'ing
/// <c>traceloop api METHOD PATH</c> in its recorder container, so every call is authorized
/// by RBAC on pods/exec in the agent namespace.
/// </summary>
internal sealed class AgentApi(KubeSession session)
{
    /// <summary>The agent container that ships the node CLI.</summary>
    public const string Container = "recorder";

    private readonly PodExec _exec = new(session);

    public async Task<byte[]> CallAsync(AgentPod agent, string method, string path, CancellationToken ct)
    {
        if (agent.NotUsableReason is { } reason)
        {
            throw new AgentException(reason, AgentFailure.Unreachable);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(session.Timeout);
        ExecResult result;
        try
        {
            result = await _exec.RunAsync(session.AgentNamespace, agent.Name, Container, ["traceloop", "api", method, path], timeout.Token)
                .ConfigureAwait(false);
        }
        catch (ExecException e)
        {
            throw BridgeExitCodes.FromExec(e, agent, session.AgentNamespace);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new AgentException($"agent on node {agent.Node} unreachable: no answer within {session.Timeout.TotalSeconds:0} s", AgentFailure.Unreachable, inner: e);
        }
        return BridgeExitCodes.BodyOrThrow(result, agent);
    }

    public Task<byte[]> GetAsync(AgentPod agent, string path, CancellationToken ct) => CallAsync(agent, "GET", path, ct);
}
