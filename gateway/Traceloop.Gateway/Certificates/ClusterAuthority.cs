using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Traceloop.Gateway.Certificates;

/// <summary>
/// The cluster CA's certificates: the CA itself (one year) and the three leaves it signs, the
/// agents' serving certificate, the gateway's client certificate for the agents and the gateway's
/// serving certificate for the kube-apiserver's aggregation layer (30 days each). Each is renewed at two
/// thirds of its life, leaving a third for the new one to reach every mount before the old expires.
/// </summary>
internal static class ClusterAuthority
{
    public const string AgentIdentity = "traceloop-agent";
    public const string GatewayIdentity = "traceloop-gateway";

    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(365);
    public static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(30);

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    // Clocks across nodes disagree a little; a certificate valid from a few minutes ago is not refused as "not yet valid".
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    public static X509Certificate2 CreateCa(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=traceloop-cluster-ca-{now:yyyyMMddHHmmss}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 ca = request.CreateSelfSigned(now - Backdate, now + CaLifetime);
        return Exportable(ca);
    }

    /// <summary>
    /// The names the aggregation layer checks the gateway's serving certificate for: it calls the
    /// APIService's Service, traceloop-gateway in <paramref name="ns"/>, by its service DNS name.
    /// </summary>
    public static string[] ServingNames(string ns) => [$"{GatewayIdentity}.{ns}.svc", $"{GatewayIdentity}.{ns}.svc.cluster.local"];

    /// <summary>
    /// A leaf for <paramref name="identity"/> (CN and DNS SAN, with <paramref name="moreNames"/> as
    /// further DNS SANs), for server use (the agents, the gateway's serving side) or client use
    /// (the gateway calling the agents).
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string identity, bool server, DateTimeOffset now, IEnumerable<string>? moreNames = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + identity, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([server ? ServerAuth : ClientAuth], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(identity);
        foreach (string name in moreNames ?? [])
        {
            san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        DateTimeOffset notAfter = Min(now + LeafLifetime, new DateTimeOffset(ca.NotAfter.ToUniversalTime()));
        using X509Certificate2 leaf = request.Create(ca, now - Backdate, notAfter, serial);
        using X509Certificate2 withKey = leaf.CopyWithPrivateKey(key);
        return Exportable(withKey);
    }

    /// <summary>Past two thirds of its validity (or expired): time to replace it.</summary>
    public static bool DueForRenewal(X509Certificate2 certificate, DateTimeOffset now)
    {
        DateTimeOffset from = certificate.NotBefore.ToUniversalTime(), to = certificate.NotAfter.ToUniversalTime();
        return now >= from + (to - from) * 2 / 3;
    }

    /// <summary>Whether <paramref name="leaf"/> was signed by <paramref name="ca"/>.</summary>
    public static bool SignedBy(X509Certificate2 leaf, X509Certificate2 ca) =>
        leaf.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData)
        && leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier is { } aki
        && ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes is { } ski
        && aki.Span.SequenceEqual(ski.Span);

    public static string CertificatePem(X509Certificate2 certificate) => certificate.ExportCertificatePem();

    public static string KeyPem(X509Certificate2 certificate)
    {
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the certificate has no private key");
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // Through PKCS#12 so the key can be exported (to a Secret) and used by SslStream.
    private static X509Certificate2 Exportable(X509Certificate2 withKey) =>
        X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
}
