using System.Net;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Gateway;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>The gateway as the cluster CA: the Secret it writes is what an agent mounts, and the two then talk.</summary>
public sealed class IssuedCertificateTests
{
    private const string Node = "node-b";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TheIssuersAgentSecret_MountedByTheRecorder_CarriesADumpThroughTheGateway()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        int agentPort = GatewayProcess.FreePort();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(api, cluster: null, agentPort, cts.Token);

        // Written before the gateway listens; the CA's key stays in the gateway's own Secret.
        Dictionary<string, string> agentSecret = api.SecretData("traceloop", "traceloop-agent-tls")
            ?? throw new Xunit.Sdk.XunitException($"no agent Secret was written:\n{gateway.Output}");
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], agentSecret.Keys.Order(StringComparer.Ordinal));
        Dictionary<string, string> caSecret = api.SecretData("traceloop", "traceloop-cluster-ca")!;
        Assert.Contains("ca.key", caSecret.Keys);
        Assert.Contains("[20] Cluster certificates written in namespace traceloop", gateway.Output, StringComparison.Ordinal);

        // As the kubelet mounts the Secret for the DaemonSet.
        string mount = Directory.CreateTempSubdirectory("traceloop-agent-tls-").FullName;
        try
        {
            foreach ((string key, string value) in agentSecret)
            {
                File.WriteAllText(Path.Join(mount, key), value);
            }
            await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node,
                "--cluster-address", $"127.0.0.1:{agentPort}", "--cluster-tls-dir", mount], cts.Token);
            api.AddPod(new TestPod("traceloop-" + Node, "traceloop")
            {
                Node = Node,
                PodIp = "127.0.0.1",
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "traceloop" },
                Containers = [new TestContainer("recorder", "traceloop:test") { ContainerId = TestPod.NewContainerId() }],
            });
            var pod = new TestPod("cart", "shop") { Node = Node, Containers = [new TestContainer("app", "busybox") { ContainerId = TestPod.NewContainerId() }] };
            api.AddPod(pod);
            await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec
            {
                Id = pod.Containers[0].ContainerId!["containerd://".Length..],
                PodUid = pod.Uid,
                Args = ["sh", "-c", "while true; do echo issued-marker > /dev/null; sleep 0.2; done"],
            }, cts.Token);
            await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Pod == "cart" && c.Container == "app"),
                TimeSpan.FromSeconds(30), "the container named");

            using HttpClient alice = api.CreateUserClient("alice");
            using HttpResponseMessage dump = await alice.GetAsync("apis/traceloop.dev/v1alpha1/namespaces/shop/pods/cart/dump?format=text", cts.Token);
            string text = await dump.Content.ReadAsStringAsync(cts.Token);
            Assert.True(dump.StatusCode == HttpStatusCode.OK, $"{dump.StatusCode}: {text}\n{gateway.Output}\n{recorder.Output}");
            Assert.Contains("issued-marker", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(mount, recursive: true);
        }
    }
}
