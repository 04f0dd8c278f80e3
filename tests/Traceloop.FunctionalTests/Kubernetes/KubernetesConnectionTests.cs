using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using k8s;
using Traceloop.Cluster;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>The recorder's own HttpClient against the fake API server's TLS and token checks.</summary>
public sealed class KubernetesConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task TheClusterCa_IsTrusted_AndTheTokenIsSent()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);

        Assert.Equal(HttpStatusCode.OK, await GetPodsAsync(Config(server, server.Certificates.Ca), cts.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetPodsAsync(Config(server, server.Certificates.Ca, token: "wrong"), cts.Token));
    }

    [Fact]
    public async Task AServerCertificateFromAnotherCa_IsRefused()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        using TestCertificates other = TestCertificates.Create();

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => GetPodsAsync(Config(server, other.Ca), cts.Token));
        Assert.IsType<AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task TlsServerName_IsTheNameTheCertificateMustCarry()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        // The certificate names 127.0.0.1 and localhost.
        KubernetesClientConfiguration named = Config(server, server.Certificates.Ca);
        named.TlsServerName = "localhost";
        KubernetesClientConfiguration misnamed = Config(server, server.Certificates.Ca);
        misnamed.TlsServerName = "api.elsewhere.example";

        Assert.Equal(HttpStatusCode.OK, await GetPodsAsync(named, cts.Token));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => GetPodsAsync(misnamed, cts.Token));
        Assert.IsType<AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task SkipTlsVerify_AcceptsAnyCertificate()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        KubernetesClientConfiguration config = Config(server, ca: null);
        config.SkipTlsVerify = true;

        Assert.Equal(HttpStatusCode.OK, await GetPodsAsync(config, cts.Token));
    }

    private static KubernetesClientConfiguration Config(ApiServerFixture server, X509Certificate2? ca, string? token = null) => new()
    {
        Host = server.Url.ToString(),
        AccessToken = token ?? server.Token,
        SslCaCerts = ca is null ? null : [ca],
    };

    private static async Task<HttpStatusCode> GetPodsAsync(KubernetesClientConfiguration config, CancellationToken ct)
    {
        using var connection = new KubernetesConnection(config);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(connection.BaseUri, "api/v1/pods"));
        using HttpResponseMessage response = await connection.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        return response.StatusCode;
    }
}
