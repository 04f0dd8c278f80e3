using System.Globalization;
using System.Net;
using Kubectl.Traceloop.Exec;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Agents;

/// <summary>
/// Turns the outcome of <c>traceloop api METHOD PATH</c> run in an agent pod into the body or an
/// <see cref="AgentException"/>, following the bridge's contract: 0 the body on stdout; 3 the
/// recorder's "HTTP code: detail" on stderr; 2 no recorder behind the socket; 1 usage.
/// </summary>
internal static class BridgeExitCodes
{
    // The node CLI's own exit codes: the bridge is `traceloop api` run in the agent pod.
    public const int Ok = (int)ExitCode.Success;
    public const int Usage = (int)ExitCode.Usage;
    public const int RecorderUnreachable = (int)ExitCode.Unreachable;
    public const int HttpError = (int)ExitCode.ApiError;

    public static byte[] BodyOrThrow(ExecResult result, AgentPod agent)
    {
        string stderr = FirstLine(result.Stderr);
        switch (result.ExitCode)
        {
            case Ok:
                return result.Stdout;
            case HttpError:
                return Throw(stderr.Length > 0 ? stderr : "the recorder answered with an error and no detail",
                    AgentFailure.RecorderError, HttpStatusOf(stderr));
            case RecorderUnreachable:
                return Throw($"agent on node {agent.Node} cannot reach its recorder: {Or(stderr, "no detail")}", AgentFailure.RecorderDown);
            case Usage:
                return Throw($"the agent on node {agent.Node} did not accept the request (is its traceloop older than this plugin?): {Or(stderr, "no detail")}",
                    AgentFailure.Other);
            default:
                return Throw($"traceloop in agent {agent.Name} on node {agent.Node} exited with code {result.ExitCode}: {Or(stderr, "no detail")}",
                    AgentFailure.Other);
        }
    }

    /// <summary>The exec itself failed: RBAC, credentials, or no way through to the pod.</summary>
    public static AgentException FromExec(ExecException e, AgentPod agent, string agentNamespace) => e.Status switch
    {
        HttpStatusCode.Forbidden => new AgentException(
            $"forbidden: you need create on pods/exec in namespace {agentNamespace} (RBAC): {e.Message}", AgentFailure.Forbidden, inner: e),
        HttpStatusCode.Unauthorized => new AgentException(
            $"unauthorized: the API server rejected the kubeconfig's credentials: {e.Message}", AgentFailure.Forbidden, inner: e),
        _ => new AgentException($"agent on node {agent.Node} unreachable: {e.Message}", AgentFailure.Unreachable, inner: e),
    };

    /// <summary>The code of a "HTTP 404: ..." line, or null.</summary>
    public static int? HttpStatusOf(string line) =>
        line.StartsWith("HTTP ", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is > 5 and var colon
        && int.TryParse(line.AsSpan(5, colon - 5), NumberStyles.None, CultureInfo.InvariantCulture, out int code) ? code : null;

    private static byte[] Throw(string message, AgentFailure failure, int? status = null) =>
        throw new AgentException(message, failure, status);

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";

    private static string Or(string text, string fallback) => text.Length > 0 ? text : fallback;
}
