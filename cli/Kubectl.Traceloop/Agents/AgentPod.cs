namespace Kubectl.Traceloop.Agents;

/// <summary>A Traceloop agent pod (the DaemonSet's pod on one node) and whether it can take an exec.</summary>
internal sealed record AgentPod(string Name, string Node, string Phase, bool RecorderRunning)
{
    /// <summary>
    /// Why an exec into this pod would fail, or null. Readiness is not required: an exec works
    /// in an unready pod, and a recorder that cannot reach the API server still holds its rings.
    /// </summary>
    public string? NotUsableReason => Phase != "Running"
        ? $"the Traceloop agent {Name} on node {Node} is not running (phase {Phase})"
        : !RecorderRunning ? $"the Traceloop agent {Name} on node {Node} is running but its {AgentApi.Container} container is not" : null;
}
