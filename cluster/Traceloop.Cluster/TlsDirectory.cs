using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Traceloop.Cluster;

/// <summary>
/// A certificate, its key and the CA bundle to trust, read from tls.crt, tls.key and ca.crt in one
/// directory (a mounted kubernetes.io/tls Secret with a ca.crt key). The kubelet replaces a
/// mounted Secret's files when the Secret changes (a symlink swap, which file watches miss), so
/// the files are compared with what was loaded at most every <see cref="RecheckInterval"/> and
/// reloaded when they differ; a half-written or broken set keeps the last good one in use.
/// </summary>
internal sealed class TlsDirectory
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private Loaded _loaded;
    private long _checkedAt;

    private TlsDirectory(string directory, Loaded loaded, TimeProvider time)
    {
        Directory = directory;
        _loaded = loaded;
        _time = time;
        _checkedAt = time.GetTimestamp();
    }

    public string Directory { get; }

    /// <summary>The last reload that failed, for the caller to report; null once one succeeds.</summary>
    public string? LastError { get; private set; }

    /// <summary>Reads the directory; throws InvalidOperationException with the reason when it cannot be used.</summary>
    public static TlsDirectory Open(string directory, TimeProvider? time = null) =>
        new(directory, Load(directory), time ?? TimeProvider.System);

    /// <summary>The certificate with its private key, reloaded if the files changed.</summary>
    public X509Certificate2 Certificate => Current().Certificate;

    /// <summary>The CA bundle from ca.crt (old and new CA while the issuer rotates it).</summary>
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
                if (!_loaded.SameFiles(Directory))
                {
                    _loaded = Load(Directory);
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

    private static Loaded Load(string directory)
    {
        string cert = Path.Join(directory, "tls.crt"), key = Path.Join(directory, "tls.key"), ca = Path.Join(directory, "ca.crt");
        try
        {
            byte[] certBytes = File.ReadAllBytes(cert), keyBytes = File.ReadAllBytes(key), caBytes = File.ReadAllBytes(ca);
            using X509Certificate2 pem = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(certBytes), System.Text.Encoding.ASCII.GetString(keyBytes));
            // Through PKCS#12 so that SslStream can use the key (an ephemeral PEM key cannot be used by it on every platform).
            X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPem(System.Text.Encoding.ASCII.GetString(caBytes));
            if (authorities.Count == 0)
            {
                throw new InvalidOperationException($"{ca} holds no certificate");
            }
            return new Loaded(certificate, authorities, Fingerprint(certBytes, keyBytes, caBytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot use the TLS files in {directory} (tls.crt, tls.key, ca.crt): {e.Message}", e);
        }
    }

    private static byte[] Fingerprint(byte[] cert, byte[] key, byte[] ca) => SHA256.HashData([.. cert, 0, .. key, 0, .. ca]);

    private sealed record Loaded(X509Certificate2 Certificate, X509Certificate2Collection Authorities, byte[] Hash)
    {
        public bool SameFiles(string directory)
        {
            try
            {
                byte[] now = Fingerprint(File.ReadAllBytes(Path.Join(directory, "tls.crt")), File.ReadAllBytes(Path.Join(directory, "tls.key")),
                    File.ReadAllBytes(Path.Join(directory, "ca.crt")));
                return now.AsSpan().SequenceEqual(Hash);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"cannot read the TLS files in {directory}: {e.Message}", e);
            }
        }
    }
}
