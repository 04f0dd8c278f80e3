using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Traceloop.Gateway.Certificates;

/// <summary>
/// How the issuer's state is kept in its three Secrets: <see cref="CaSecret"/> (the CA and its key,
/// the previous CA during a rotation, and the gateway's own client certificate) is read by the
/// gateway alone; <see cref="AgentSecret"/> is a kubernetes.io/tls Secret with ca.crt, mounted by
/// the DaemonSet as the agents' --cluster-tls-dir; <see cref="ServingSecret"/> is a
/// kubernetes.io/tls Secret with ca.crt holding the gateway's serving certificate, which the
/// gateway serves from memory (no pod mounts it; it is kept so replicas share one certificate).
/// </summary>
internal static class IssuerSecrets
{
    public const string CaSecret = "traceloop-cluster-ca";
    public const string AgentSecret = "traceloop-agent-tls";
    public const string ServingSecret = "traceloop-gateway-tls";

    public static Dictionary<string, string> CaData(IssuedCertificates state)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ca.crt"] = ClusterAuthority.CertificatePem(state.Ca),
            ["ca.key"] = ClusterAuthority.KeyPem(state.Ca),
            ["rotated-at"] = state.RotatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["gateway.crt"] = ClusterAuthority.CertificatePem(state.Gateway),
            ["gateway.key"] = ClusterAuthority.KeyPem(state.Gateway),
        };
        if (state.PreviousCa is not null)
        {
            data["previous-ca.crt"] = ClusterAuthority.CertificatePem(state.PreviousCa);
        }
        return data;
    }

    public static Dictionary<string, string> AgentData(IssuedCertificates state) => TlsData(state.Agent, state);

    public static Dictionary<string, string> ServingData(IssuedCertificates state) => TlsData(state.Serving, state);

    /// <summary>The CA bundle (PEM) that vouches for every leaf: ca.crt, and the APIService's caBundle.</summary>
    public static string TrustPem(IssuedCertificates state) => string.Concat(state.Trust.Select(ClusterAuthority.CertificatePem));

    /// <summary>The state the Secrets hold; null (start over) when the CA Secret is missing; a FormatException when it is unreadable.</summary>
    public static IssuedCertificates? Read(IReadOnlyDictionary<string, string>? ca, IReadOnlyDictionary<string, string>? agent,
        IReadOnlyDictionary<string, string>? serving = null)
    {
        if (ca is null)
        {
            return null;
        }
        try
        {
            X509Certificate2 authority = WithKey(ca, "ca.crt", "ca.key") ?? throw new FormatException($"{CaSecret} has no ca.crt and ca.key");
            X509Certificate2? previous = ca.TryGetValue("previous-ca.crt", out string? pem) ? X509Certificate2.CreateFromPem(pem) : null;
            DateTimeOffset rotatedAt = ca.TryGetValue("rotated-at", out string? at)
                && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset parsed) ? parsed : DateTimeOffset.MinValue;
            // A missing leaf is re-issued by IssuedCertificates.Next: an empty placeholder with no key stands for it.
            X509Certificate2 gateway = WithKey(ca, "gateway.crt", "gateway.key") ?? Placeholder(authority);
            X509Certificate2 agentLeaf = (agent is null ? null : WithKey(agent, "tls.crt", "tls.key")) ?? Placeholder(authority);
            X509Certificate2 servingLeaf = (serving is null ? null : WithKey(serving, "tls.crt", "tls.key")) ?? Placeholder(authority);
            return new IssuedCertificates(authority, previous, rotatedAt, agentLeaf, gateway, servingLeaf);
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"{CaSecret}, {AgentSecret} or {ServingSecret} holds a certificate or key that cannot be read: {e.Message}", e);
        }
    }

    private static Dictionary<string, string> TlsData(X509Certificate2 leaf, IssuedCertificates state) => new(StringComparer.Ordinal)
    {
        ["tls.crt"] = ClusterAuthority.CertificatePem(leaf),
        ["tls.key"] = ClusterAuthority.KeyPem(leaf),
        ["ca.crt"] = TrustPem(state),
    };

    private static X509Certificate2? WithKey(IReadOnlyDictionary<string, string> data, string cert, string key)
    {
        if (!data.TryGetValue(cert, out string? certPem) || !data.TryGetValue(key, out string? keyPem))
        {
            return null;
        }
        using X509Certificate2 pem = X509Certificate2.CreateFromPem(certPem, keyPem);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    private static X509Certificate2 Placeholder(X509Certificate2 ca) => X509CertificateLoader.LoadCertificate(ca.RawData);
}
