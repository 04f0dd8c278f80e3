using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>How a container instance ended, for a test pod's status.</summary>
public sealed record TestTermination(int ExitCode, string Reason, int? Signal = null, string? ContainerId = null, DateTimeOffset? FinishedAt = null);

/// <summary>A container of a test pod: its spec and, once started, its status.</summary>
public sealed record TestContainer(string Name, string Image)
{
    /// <summary>The runtime's id with its scheme, as the kubelet reports it ("containerd://…"); null before it starts.</summary>
    public string? ContainerId { get; init; }

    public int RestartCount { get; init; }

    public TestTermination? Terminated { get; init; }

    public TestTermination? LastTerminated { get; init; }
}

/// <summary>
/// Builds pod JSON shaped as the API server serves it (kubectl get pod -o json): the fields a
/// scheduled, running pod has, with the kubelet's status.
/// </summary>
public sealed record TestPod(string Name, string Namespace = "default")
{
    private static readonly DateTimeOffset Started = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    public string Uid { get; init; } = Guid.NewGuid().ToString();

    public string? Node { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<TestContainer> Containers { get; init; } = [];

    public IReadOnlyList<TestContainer> InitContainers { get; init; } = [];

    public IReadOnlyList<TestContainer> EphemeralContainers { get; init; } = [];

    public string Phase { get; init; } = "Running";

    /// <summary>The address the pod is reached at (status.podIP), once scheduled.</summary>
    public string PodIp { get; init; } = "10.244.1.23";

    /// <summary>A fresh 64-hex container id with the runtime's scheme.</summary>
    public static string NewContainerId(string runtime = "containerd") =>
        $"{runtime}://{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";

    /// <summary>A running pod with one started container, on <paramref name="node"/>.</summary>
    public static TestPod Running(string name, string node, string ns = "default") => new(name, ns)
    {
        Node = node,
        Labels = new Dictionary<string, string> { ["app"] = name },
        Containers = [new TestContainer("app", "registry.k8s.io/pause:3.10") { ContainerId = NewContainerId() }],
    };

    public JsonObject ToJson()
    {
        var labels = new JsonObject();
        foreach ((string k, string v) in Labels)
        {
            labels[k] = v;
        }
        var spec = new JsonObject
        {
            ["containers"] = Specs(Containers),
            ["restartPolicy"] = "Always",
            ["terminationGracePeriodSeconds"] = 30,
            ["dnsPolicy"] = "ClusterFirst",
            ["serviceAccountName"] = "default",
            ["serviceAccount"] = "default",
            ["securityContext"] = new JsonObject(),
            ["schedulerName"] = "default-scheduler",
            ["tolerations"] = new JsonArray(
                new JsonObject { ["key"] = "node.kubernetes.io/not-ready", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 }),
            ["priority"] = 0,
            ["enableServiceLinks"] = true,
            ["preemptionPolicy"] = "PreemptLowerPriority",
        };
        if (InitContainers.Count > 0)
        {
            spec["initContainers"] = Specs(InitContainers);
        }
        if (EphemeralContainers.Count > 0)
        {
            var ephemeral = Specs(EphemeralContainers);
            foreach (JsonNode? c in ephemeral)
            {
                c!["targetContainerName"] = Containers.FirstOrDefault()?.Name;
            }
            spec["ephemeralContainers"] = ephemeral;
        }
        if (Node is not null)
        {
            spec["nodeName"] = Node;
        }
        var status = new JsonObject
        {
            ["phase"] = Phase,
            ["qosClass"] = "BestEffort",
        };
        if (Node is not null)
        {
            status["hostIP"] = "10.0.0.10";
            status["podIP"] = PodIp;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = PodIp });
            status["startTime"] = Time(Started);
            status["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = Time(Started) });
            if (InitContainers.Count > 0)
            {
                status["initContainerStatuses"] = Statuses(InitContainers);
            }
            status["containerStatuses"] = Statuses(Containers);
            if (EphemeralContainers.Count > 0)
            {
                status["ephemeralContainerStatuses"] = Statuses(EphemeralContainers);
            }
        }
        return new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["uid"] = Uid,
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = "ReplicaSet",
                    ["name"] = Name + "-rs",
                    ["uid"] = "7d2c1e0a-0000-4000-8000-000000000001",
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = spec,
            ["status"] = status,
        };
    }

    private static JsonArray Specs(IEnumerable<TestContainer> containers) => new(containers.Select(c => (JsonNode)new JsonObject
    {
        ["name"] = c.Name,
        ["image"] = c.Image,
        ["resources"] = new JsonObject(),
        ["terminationMessagePath"] = "/dev/termination-log",
        ["terminationMessagePolicy"] = "File",
        ["imagePullPolicy"] = "IfNotPresent",
    }).ToArray());

    private static JsonArray Statuses(IEnumerable<TestContainer> containers) => new(containers.Select(c =>
    {
        var status = new JsonObject
        {
            ["name"] = c.Name,
            ["state"] = c.Terminated is { } t
                ? new JsonObject { ["terminated"] = Terminated(t, c.ContainerId) }
                : c.ContainerId is null
                    ? new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } }
                    : new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Time(Started) } },
            ["lastState"] = c.LastTerminated is { } last ? new JsonObject { ["terminated"] = Terminated(last, null) } : new JsonObject(),
            ["ready"] = c.ContainerId is not null && c.Terminated is null,
            ["restartCount"] = c.RestartCount,
            ["image"] = c.Image.Contains('/', StringComparison.Ordinal) ? c.Image : "docker.io/library/" + c.Image,
            ["imageID"] = c.ContainerId is null ? "" : "docker.io/library/image@sha256:" + new string('a', 64),
            ["started"] = c.ContainerId is not null && c.Terminated is null,
        };
        if (c.ContainerId is not null)
        {
            status["containerID"] = c.ContainerId;
        }
        return (JsonNode)status;
    }).ToArray());

    private static JsonObject Terminated(TestTermination t, string? currentId)
    {
        var terminated = new JsonObject
        {
            ["exitCode"] = t.ExitCode,
            ["reason"] = t.Reason,
            ["startedAt"] = Time(Started),
            ["finishedAt"] = Time(t.FinishedAt ?? Started.AddMinutes(5)),
            ["containerID"] = t.ContainerId ?? currentId,
        };
        if (t.Signal is { } signal)
        {
            terminated["signal"] = signal;
        }
        return terminated;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
