using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>
/// Throwaway certificates made at run time: the API server's CA and its serving certificate for
/// 127.0.0.1 and localhost; and the front proxy's own CA with the client certificate the
/// aggregation layer presents to an extension API server (CN <see cref="FrontProxyName"/>).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string FrontProxyName = "front-proxy-client";

    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

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
        using X509Certificate2 caWithKey = CreateCa("traceloop-test-ca");
        X509Certificate2 server = Issue(caWithKey, "kube-apiserver", ServerAuth, IPAddress.Loopback, "localhost");
        using X509Certificate2 frontProxyCa = CreateCa("front-proxy-ca");
        X509Certificate2 client = Issue(frontProxyCa, FrontProxyName, ClientAuth);
        return new TestCertificates(PublicPart(caWithKey), server, PublicPart(frontProxyCa), client);
    }

    /// <summary>A self-signed CA with its private key, valid for a day.</summary>
    public static X509Certificate2 CreateCa(string name)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=" + name, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        return caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    /// <summary>A leaf signed by <paramref name="ca"/> for <paramref name="usage"/> (server or client), with its key, usable by SslStream.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string commonName, Oid usage, IPAddress? ip = null, string? dns = null)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        if (ip is not null || dns is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            if (ip is not null)
            {
                san.AddIpAddress(ip);
            }
            if (dns is not null)
            {
                san.AddDnsName(dns);
            }
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        // Never past the CA's own end: a CA made a moment earlier (in the same second of the next
        // day) would otherwise make Create refuse the leaf.
        DateTimeOffset notAfter = new DateTimeOffset(ca.NotAfter) is var caEnd && caEnd < now.AddDays(1) ? caEnd : now.AddDays(1);
        using X509Certificate2 signed = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        // Round-tripped through PKCS#12 so that SslStream can use the key on every platform.
        return X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    public static X509Certificate2 PublicPart(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);

    /// <summary>Writes a certificate and its key as PEM files <paramref name="certFile"/> and <paramref name="keyFile"/>.</summary>
    public static void WritePem(X509Certificate2 certificate, string certFile, string keyFile)
    {
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no ECDSA key");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
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
