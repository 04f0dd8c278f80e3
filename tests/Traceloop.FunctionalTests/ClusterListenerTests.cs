using System.Net;
using System.Security.Authentication;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Gateway;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The recorder's cluster listener refuses to start half-configured, with the reason; its TLS
/// files, which the gateway may create after the agent starts, are waited for.
/// </summary>
public sealed class ClusterListenerTests
{
    [Fact]
    public async Task MissingTlsFiles_AreWaitedFor_WithTheirNames_ThenServed()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using ClusterCertificates cluster = ClusterCertificates.Create();
        string mount = Directory.CreateTempSubdirectory("traceloop-cluster-listener-mount-").FullName;
        int port = GatewayProcess.FreePort();
        try
        {
            // As the DaemonSet's optional mount looks before the gateway has created the Secret: empty.
            await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--cluster-address", $"127.0.0.1:{port}", "--cluster-tls-dir", mount], cts.Token);
            await Eventually.TrueAsync(() => Task.FromResult(recorder.Output.Contains("[14] Cluster listener waits for its TLS files", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), "the wait logged");
            Assert.Contains(Path.Join(mount, "tls.crt"), recorder.Output, StringComparison.Ordinal);
            var url = new Uri($"https://127.0.0.1:{port}/containers");
            using (var early = new HttpClient(TrustingTheAgent(cluster)))
            {
                var refused = await Assert.ThrowsAsync<HttpRequestException>(() => early.GetAsync(url, cts.Token));
                Assert.True(refused.InnerException is AuthenticationException or IOException, refused.ToString());
            }
            Assert.False(recorder.HasExited, recorder.Output);

            // The Secret appears: the kubelet adds its files.
            foreach (string file in (string[])["tls.crt", "tls.key", "ca.crt"])
            {
                File.Copy(Path.Join(cluster.AgentDir, file), Path.Join(mount, file));
            }
            await Eventually.TrueAsync(async () =>
            {
                using var client = new HttpClient(TrustingTheAgent(cluster));
                try
                {
                    using HttpResponseMessage response = await client.GetAsync(url, cts.Token);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "the listener serving once the files exist");
            Assert.Contains("[15] Cluster listener's TLS files in " + mount + " are now in use", recorder.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(mount, recursive: true);
        }
    }

    [Fact]
    public async Task AHalfConfiguredListener_StopsTheStart_WithTheReason()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string dir = Directory.CreateTempSubdirectory("traceloop-cluster-listener-").FullName;
        try
        {
            (int half, string why) = await RecorderProcess.RunToExitAsync(["--socket", Path.Join(dir, "s.sock"), "--data-dir", Path.Join(dir, "data"),
                "--cluster-address", ":9444"], withoutCapabilities: false, cts.Token);
            Assert.Equal(2, half);
            Assert.Contains("ClusterAddress needs ClusterTlsDir", why, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>As the gateway calls an agent: with its client certificate, trusting the cluster CA.</summary>
    private static SocketsHttpHandler TrustingTheAgent(ClusterCertificates cluster)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [cluster.Gateway];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(cluster.Ca);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            return certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 agent && chain.Build(agent);
        };
        return handler;
    }
}
