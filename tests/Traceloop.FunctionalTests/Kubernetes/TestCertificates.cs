using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Traceloop.TestCommon.Certificates;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>
/// Throwaway certificates made at run time: the API server's CA and its serving certificate for
/// 127.0.0.1 and localhost; and the front proxy's own CA with the client certificate the
/// aggregation layer presents to an extension API server (CN <see cref="FrontProxyName"/>).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string FrontProxyName = "front-proxy-client";

    private TestCertificates(X509Certificate2 ca, X509Certificate2 server, X509Certificate2 frontProxyCa, X509Certificate2 frontProxyClient)
    {
        Ca = ca;
        Server = server;
        FrontProxyCa = frontProxyCa;
        FrontProxyClient = frontProxyClient;
    }

    /// <summary>The CA, without its private key: what a client trusts.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The server certificate with its private key, for Kestrel.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The requestheader CA (what ConfigMap extension-apiserver-authentication publishes), without its key.</summary>
    public X509Certificate2 FrontProxyCa { get; }

    /// <summary>The aggregation layer's client certificate, with its key.</summary>
    public X509Certificate2 FrontProxyClient { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public static TestCertificates Create()
    {
        using X509Certificate2 caWithKey = TestCa.CreateCa("traceloop-test-ca");
        X509Certificate2 server = TestCa.Issue(caWithKey, "kube-apiserver", TestCa.ServerAuth, IPAddress.Loopback, "localhost");
        using X509Certificate2 frontProxyCa = TestCa.CreateCa("front-proxy-ca");
        X509Certificate2 client = TestCa.Issue(frontProxyCa, FrontProxyName, TestCa.ClientAuth);
        return new TestCertificates(TestCa.PublicPart(caWithKey), server, TestCa.PublicPart(frontProxyCa), client);
    }

    /// <summary>An HttpClient handler that trusts this CA only, as a Kubernetes client does with its ca.crt.</summary>
    public SocketsHttpHandler CreateTrustingHandler() => CreateTrustingHandler(Ca);

    /// <summary>A handler that trusts <paramref name="ca"/> only.</summary>
    public static SocketsHttpHandler CreateTrustingHandler(X509Certificate2 ca)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
        return handler;
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        FrontProxyCa.Dispose();
        FrontProxyClient.Dispose();
    }
}
