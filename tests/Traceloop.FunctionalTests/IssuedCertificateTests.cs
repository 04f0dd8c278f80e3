using System.Net;
using System.Security.Cryptography.X509Certificates;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Gateway;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The gateway as the cluster CA: the Secret it writes is what an agent mounts, and the two then
/// talk; and the serving certificate it issues itself is what the aggregation layer, trusting the
/// APIService's caBundle the gateway wrote, accepts.
/// </summary>
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

    [Fact]
    public async Task WithoutServingFiles_TheGatewayServesItsIssuedCertificate_TrustedByTheCaBundleItWrote_AndAReplicaServesTheSame()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        api.AddApiService(GatewayProcess.ApiService, "traceloop", "traceloop-gateway");
        Assert.Null(api.ApiServiceCaBundle(GatewayProcess.ApiService));

        // Started without --tls-cert: it answers /readyz only once the fixture trusts it by the caBundle.
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(api, cluster: null, GatewayProcess.FreePort(), servingFiles: false, cts.Token);

        Dictionary<string, string> serving = api.SecretData("traceloop", "traceloop-gateway-tls")
            ?? throw new Xunit.Sdk.XunitException($"no serving Secret was written:\n{gateway.Output}");
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], serving.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(serving["ca.crt"], api.ApiServiceCaBundle(GatewayProcess.ApiService));
        Assert.Equal(api.SecretData("traceloop", "traceloop-cluster-ca")!["ca.crt"], serving["ca.crt"]);
        Assert.Contains("[25] CA bundle (1 CA) written into APIService v1alpha1.traceloop.dev", gateway.Output, StringComparison.Ordinal);
        using X509Certificate2 issued = X509Certificate2.CreateFromPem(serving["tls.crt"]);
        Assert.Equal(issued.Thumbprint, (await ServedCertificateAsync(gateway.Url, cts.Token)).Thumbprint);

        // Through the aggregation layer, as a user: discovery, then a request the gateway refuses by RBAC.
        using HttpClient alice = api.CreateUserClient("alice");
        using HttpResponseMessage discovery = await alice.GetAsync("apis/traceloop.dev/v1alpha1", cts.Token);
        string body = await discovery.Content.ReadAsStringAsync(cts.Token);
        Assert.True(discovery.StatusCode == HttpStatusCode.OK, $"{discovery.StatusCode}: {body}\n{gateway.Output}");
        Assert.Contains("\"groupVersion\":\"traceloop.dev/v1alpha1\"", body, StringComparison.Ordinal);
        using HttpClient bob = api.CreateUserClient("bob");
        using HttpResponseMessage refused = await bob.GetAsync("apis/traceloop.dev/v1alpha1/namespaces/shop/pods/cart/dump", cts.Token);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        // A second replica reads the Secrets the first wrote: same serving certificate, nothing rewritten.
        await using GatewayProcess replica = await GatewayProcess.StartAsync(api, cluster: null, GatewayProcess.FreePort(), servingFiles: false, cts.Token);
        Assert.Equal(issued.Thumbprint, (await ServedCertificateAsync(replica.Url, cts.Token)).Thumbprint);
        Assert.Equal(serving, api.SecretData("traceloop", "traceloop-gateway-tls"));
        Assert.DoesNotContain("[20] Cluster certificates written", replica.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("[25] CA bundle", replica.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoReplicasStartedTogether_ConvergeOnOneServingCertificate()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        api.AddApiService(GatewayProcess.ApiService, "traceloop", "traceloop-gateway");

        // Both find no Secret and issue; the later create or replace is refused, and that one reads the winner's.
        GatewayProcess[] replicas = await Task.WhenAll(
            GatewayProcess.StartAsync(api, cluster: null, GatewayProcess.FreePort(), servingFiles: false, cts.Token),
            GatewayProcess.StartAsync(api, cluster: null, GatewayProcess.FreePort(), servingFiles: false, cts.Token));
        try
        {
            string output = string.Join("\n----\n", replicas.Select(r => r.Output));
            Dictionary<string, string> serving = api.SecretData("traceloop", "traceloop-gateway-tls")
                ?? throw new Xunit.Sdk.XunitException($"no serving Secret was written:\n{output}");
            using X509Certificate2 stored = X509Certificate2.CreateFromPem(serving["tls.crt"]);
            foreach (GatewayProcess replica in replicas)
            {
                Assert.Equal(stored.Thumbprint, (await ServedCertificateAsync(replica.Url, cts.Token)).Thumbprint);
            }
            Assert.Equal(serving["ca.crt"], api.ApiServiceCaBundle(GatewayProcess.ApiService));
            Assert.Equal(serving["ca.crt"], api.SecretData("traceloop", "traceloop-agent-tls")!["ca.crt"]);
        }
        finally
        {
            foreach (GatewayProcess replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task WithoutTheApiService_TheGatewayStillStarts_AndSaysWhyTheCaBundleIsNotWritten()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        int port = GatewayProcess.FreePort();
        {
            var psi = new System.Diagnostics.ProcessStartInfo(GatewayProcess.BinaryPath) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])["--address", $"127.0.0.1:{port}", "--issue-certificates", "--kubeconfig", api.WriteKubeconfig()])
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
            using var process = System.Diagnostics.Process.Start(psi)!;
            var output = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                string Output() { lock (output) { return output.ToString(); } }
                await Eventually.TrueAsync(() => Task.FromResult(Output().Contains("[24] Cannot write the CA bundle into APIService v1alpha1.traceloop.dev", StringComparison.Ordinal)),
                    TimeSpan.FromSeconds(60), "the caBundle failure logged");
                Assert.False(process.HasExited, Output());
                // It serves its issued certificate all the same; once the APIService exists, the retry writes it.
                Assert.NotNull(api.SecretData("traceloop", "traceloop-gateway-tls"));
                api.AddApiService(GatewayProcess.ApiService, "traceloop", "traceloop-gateway");
                await Eventually.TrueAsync(() => Task.FromResult(api.ApiServiceCaBundle(GatewayProcess.ApiService) is not null),
                    TimeSpan.FromSeconds(60), "the caBundle written on a retry");
                Assert.Equal(api.SecretData("traceloop", "traceloop-gateway-tls")!["ca.crt"], api.ApiServiceCaBundle(GatewayProcess.ApiService));
                Assert.False(process.HasExited, Output());
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>The certificate a server presents, whatever it is.</summary>
    private static async Task<X509Certificate2> ServedCertificateAsync(Uri url, CancellationToken ct)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port, ct);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "traceloop-gateway.traceloop.svc",
            // Only looked at, not trusted: the caller compares it.
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, ct);
        return X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData());
    }
}
