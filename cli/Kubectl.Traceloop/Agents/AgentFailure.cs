namespace Kubectl.Traceloop.Agents;

/// <summary>How a call to an agent failed, for the caller that decides what is fatal.</summary>
internal enum AgentFailure
{
    /// <summary>The API server, the kubelet or the agent pod could not be reached, or the agent pod is not running.</summary>
    Unreachable,

    /// <summary>RBAC refused the pods/exec.</summary>
    Forbidden,

    /// <summary>The agent's traceloop could not reach its recorder on the node.</summary>
    RecorderDown,

    /// <summary>The recorder answered with an HTTP error (<see cref="AgentException.HttpStatus"/>).</summary>
    RecorderError,

    /// <summary>The agent's traceloop did not understand the call (a version mismatch) or failed otherwise.</summary>
    Other,
}
