using Traceloop.FunctionalTests.Kubernetes;

namespace Traceloop.FunctionalTests.Kubectl;

/// <summary>Agent pods as the DaemonSet in deploy/ makes them: namespace traceloop, its labels, a recorder container.</summary>
public static class AgentPods
{
    public const string Namespace = "traceloop";

    public static TestPod On(string node, string phase = "Running", bool recorderRunning = true) => new($"traceloop-{node}", Namespace)
    {
        Node = node,
        Phase = phase,
        Labels = new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = "traceloop",
            ["app.kubernetes.io/component"] = "agent",
            ["controller-revision-hash"] = "6d4b9c8f7",
        },
        Containers = [new TestContainer("recorder", "ghcr.io/traceloop/traceloop:0.1.0") { ContainerId = recorderRunning ? TestPod.NewContainerId() : null }],
    };

    /// <summary>Adds the agent pod for <paramref name="node"/>; with a socket, exec into it runs the real traceloop against that recorder.</summary>
    public static TestPod Add(ApiServerFixture api, string node, string? recorderSocket, string phase = "Running", bool recorderRunning = true)
    {
        TestPod agent = On(node, phase, recorderRunning);
        api.AddPod(agent);
        if (recorderSocket is not null)
        {
            api.BridgeExec(agent.Namespace, agent.Name, recorderSocket);
        }
        return agent;
    }
}
