namespace Kubectl.Traceloop.Agents;

/// <summary>A Traceloop agent pod (the DaemonSet's pod on one node) and whether it can take an exec.</summary>
internal sealed record AgentPod(string Name, string Node, string Phase, bool Ready)
{
    /// <summary>Why an exec into this pod would fail, or null when it is Running and Ready.</summary>
    public string? NotUsableReason => Phase != "Running"
        ? $"the Traceloop agent {Name} on node {Node} is not running (phase {Phase})"
        : !Ready ? $"the Traceloop agent {Name} on node {Node} is not ready" : null;
}
