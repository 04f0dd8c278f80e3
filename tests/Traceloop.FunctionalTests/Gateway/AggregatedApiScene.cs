using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests.Gateway;

/// <summary>
/// One node of a cluster, for the aggregated API tests: the fake API server playing the
/// aggregation layer, the real recorder with its cluster listener on loopback (its agent pod's
/// address is 127.0.0.1), the real gateway, and two running pods, shop/web and kube-system/dns,
/// each a real runc container writing a line of its own in a loop.
/// </summary>
public sealed class AggregatedApiScene : IAsyncLifetime
{
    public const string Node = "node-a";
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly List<RuncContainer> _containers = [];

    public ApiServerFixture Api { get; private set; } = null!;

    public ClusterCertificates Cluster { get; private set; } = null!;

    public RecorderProcess Recorder { get; private set; } = null!;

    public GatewayProcess Gateway { get; private set; } = null!;

    public int AgentPort { get; private set; }

    public TestPod Shop { get; } = Pod("web", "shop");

    public TestPod System { get; } = Pod("dns", "kube-system");

    public async Task InitializeAsync()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        Api = await ApiServerFixture.StartAsync(cts.Token);
        Cluster = ClusterCertificates.Create();
        AgentPort = GatewayProcess.FreePort();
        Recorder = await RecorderProcess.StartAsync(["--kubeconfig", Api.WriteKubeconfig(), "--node-name", Node,
            "--cluster-address", $"127.0.0.1:{AgentPort}", "--cluster-tls-dir", Cluster.AgentDir], cts.Token);
        Api.AddPod(new TestPod("traceloop-" + Node, "traceloop")
        {
            Node = Node,
            PodIp = "127.0.0.1",
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "traceloop", ["app.kubernetes.io/component"] = "agent" },
            Containers = [new TestContainer("recorder", "traceloop:test") { ContainerId = TestPod.NewContainerId() }],
        });
        foreach (TestPod pod in (TestPod[])[Shop, System])
        {
            Api.AddPod(pod);
            string id = pod.Containers[0].ContainerId!["containerd://".Length..];
            _containers.Add(await RuncContainer.RunAsync(new ContainerSpec
            {
                Id = id,
                PodUid = pod.Uid,
                Args = ["sh", "-c", $"while true; do echo {Marker(pod)} > /dev/null; sleep 0.2; done"],
            }, cts.Token));
        }
        await Eventually.TrueAsync(async () => (await Recorder.Client.GetContainersAsync(cts.Token))
            .Count(c => c.Pod is "web" or "dns" && c.Container == "app") == 2, TimeSpan.FromSeconds(30), "both pods' containers named");
        Gateway = await GatewayProcess.StartAsync(Api, Cluster, AgentPort, cts.Token);
    }

    /// <summary>The line a pod's container writes, so a dump can be told to be that pod's.</summary>
    public static string Marker(TestPod pod) => $"traceloop-marker-{pod.Namespace}";

    public async Task DisposeAsync()
    {
        foreach (RuncContainer container in _containers)
        {
            await container.DisposeAsync();
        }
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
        if (Recorder is not null)
        {
            await Recorder.DisposeAsync();
        }
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }
        Cluster?.Dispose();
    }

    private static TestPod Pod(string name, string ns) => new(name, ns)
    {
        Node = Node,
        Labels = new Dictionary<string, string> { ["app"] = name },
        Containers = [new TestContainer("app", "busybox") { ContainerId = TestPod.NewContainerId() }],
    };
}
