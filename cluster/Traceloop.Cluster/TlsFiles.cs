using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Traceloop.Cluster;

/// <summary>
/// A certificate, its key and (optionally) the CA bundle to trust, read from PEM files: usually
/// tls.crt, tls.key and ca.crt in one directory (a mounted kubernetes.io/tls Secret with a ca.crt
/// key, <see cref="InDirectory"/>). The kubelet replaces a
/// mounted Secret's files when the Secret changes (a symlink swap, which file watches miss), so
/// the files are compared with what was loaded at most every <see cref="RecheckInterval"/> and
/// reloaded when they differ; a half-written or broken set keeps the last good one in use.
/// </summary>
internal sealed class TlsFiles : ITlsCredentials
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private Loaded _loaded;
    private long _checkedAt;

    private TlsFiles(string certificate, string key, string? authorities, Loaded loaded, TimeProvider time)
    {
        CertificatePath = certificate;
        KeyPath = key;
        AuthoritiesPath = authorities;
        _loaded = loaded;
        _time = time;
        _checkedAt = time.GetTimestamp();
    }

    public string CertificatePath { get; }

    public string KeyPath { get; }

    public string? AuthoritiesPath { get; }

    /// <summary>The last reload that failed, for the caller to report; null once one succeeds.</summary>
    public string? LastError { get; private set; }

    /// <summary>tls.crt, tls.key and ca.crt in <paramref name="directory"/>; throws InvalidOperationException with the reason when they cannot be used.</summary>
    public static TlsFiles InDirectory(string directory, TimeProvider? time = null) =>
        Open(Path.Join(directory, "tls.crt"), Path.Join(directory, "tls.key"), Path.Join(directory, "ca.crt"), time);

    /// <summary>A certificate and key, and a CA bundle when <paramref name="authorities"/> is given.</summary>
    public static TlsFiles Open(string certificate, string key, string? authorities, TimeProvider? time = null) =>
        new(certificate, key, authorities, Load(certificate, key, authorities), time ?? TimeProvider.System);

    /// <summary>The certificate with its private key, reloaded if the files changed.</summary>
    public X509Certificate2 Certificate => Current().Certificate;

    /// <summary>The CA bundle from ca.crt (old and new CA while the issuer rotates it); empty when none was given.</summary>
    public X509Certificate2Collection Authorities => Current().Authorities;

    private Loaded Current()
    {
        lock (_gate)
        {
            if (_time.GetElapsedTime(_checkedAt) < RecheckInterval)
            {
                return _loaded;
            }
            _checkedAt = _time.GetTimestamp();
            try
            {
                if (!_loaded.Hash.AsSpan().SequenceEqual(Fingerprint(CertificatePath, KeyPath, AuthoritiesPath)))
                {
                    _loaded = Load(CertificatePath, KeyPath, AuthoritiesPath);
                }
                LastError = null;
            }
            catch (InvalidOperationException e)
            {
                LastError = e.Message;
            }
            return _loaded;
        }
    }

    private static Loaded Load(string cert, string key, string? ca)
    {
        try
        {
            using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(cert, key);
            // Through PKCS#12 so that SslStream can use the key (it cannot use an ephemeral PEM key on every platform).
            X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            var authorities = new X509Certificate2Collection();
            if (ca is not null)
            {
                authorities.ImportFromPemFile(ca);
                if (authorities.Count == 0)
                {
                    throw new InvalidOperationException($"{ca} holds no certificate");
                }
            }
            return new Loaded(certificate, authorities, Fingerprint(cert, key, ca));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot use the TLS files {cert}, {key}{(ca is null ? "" : ", " + ca)}: {e.Message}", e);
        }
    }

    private static byte[] Fingerprint(string cert, string key, string? ca)
    {
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (string? path in (string?[])[cert, key, ca])
            {
                hash.AppendData(path is null ? [] : File.ReadAllBytes(path));
                hash.AppendData([0]);
            }
            return hash.GetHashAndReset();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot read the TLS files {cert}, {key}: {e.Message}", e);
        }
    }

    private sealed record Loaded(X509Certificate2 Certificate, X509Certificate2Collection Authorities, byte[] Hash);
}
