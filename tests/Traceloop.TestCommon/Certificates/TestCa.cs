using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Traceloop.TestCommon.Certificates;

/// <summary>Throwaway CAs and the leaves they sign, made at run time, for the TLS between the cluster's parts.</summary>
public static class TestCa
{
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

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
        // Never past the CA's own end, which CertificateRequest refuses (the CA may be a second older).
        DateTimeOffset notAfter = new DateTimeOffset(ca.NotAfter.ToUniversalTime()) < now.AddDays(1) ? new DateTimeOffset(ca.NotAfter.ToUniversalTime()) : now.AddDays(1);
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
}
