using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Traceloop.Cluster;

/// <summary>
/// Checks on the certificate the other side of a TLS connection presented: that it chains to a
/// private CA (and only to it: the system store is not consulted), is meant for the use it is put
/// to, and names the expected identity.
/// </summary>
internal static class PeerCertificate
{
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> and, when
    /// <paramref name="usage"/> is given, carries that extended key usage (a leaf without the
    /// extension may be used for anything, as Go's x509 also allows).
    /// </summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots, Oid? usage = null, DateTimeOffset? at = null)
    {
        if (roots.Count == 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
        }
        if (usage is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(usage);
        }
        try
        {
            return chain.Build(certificate);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Whether the certificate's subject CN or one of its DNS subject alternative names is <paramref name="identity"/>.</summary>
    public static bool Names(X509Certificate2 certificate, string identity)
    {
        if (CommonName(certificate) == identity)
        {
            return true;
        }
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san && san.EnumerateDnsNames().Contains(identity, StringComparer.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The subject's CN, or "" when it has none.</summary>
    public static string CommonName(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) ?? "";
}
