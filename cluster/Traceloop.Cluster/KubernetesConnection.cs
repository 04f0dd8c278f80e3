using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;

namespace Traceloop.Cluster;

/// <summary>
/// An HttpClient that reaches the API server as the configuration says: its address, the CA
/// to trust, the client certificate, and a bearer token or basic credentials on each request.
/// Built here rather than by constructing <c>k8s.Kubernetes</c>: the recorder makes three kinds
/// of request, and the generated client brought every API group's operations and models into
/// the Native AOT binary, doubling its resident memory on every node.
/// </summary>
internal sealed class KubernetesConnection : IDisposable
{
    private readonly HttpClient _http;
    private readonly KubernetesClientConfiguration _config;

    public KubernetesConnection(KubernetesClientConfiguration config)
    {
        _config = config;
        if (string.IsNullOrWhiteSpace(config.Host) || !Uri.TryCreate(config.Host, UriKind.Absolute, out Uri? host))
        {
            throw new InvalidOperationException($"the API server address '{config.Host}' is not a URL");
        }
        BaseUri = host.AbsoluteUri.EndsWith('/') ? host : new Uri(host.AbsoluteUri + "/");
        var handler = new SocketsHttpHandler();
        if (BaseUri.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = TlsOptions(config);
        }
        config.FirstMessageHandlerSetup?.Invoke(handler);
        _http = new HttpClient(handler) { Timeout = config.HttpClientTimeout };
    }

    /// <summary>The API server's address, ending in '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>Adds the credentials and sends; the caller owns the response.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        request.Headers.Authorization = await AuthorizationAsync(ct).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(_config.TlsServerName))
        {
            // kubeconfig's tls-server-name: SocketsHttpHandler takes the name it sends as SNI and
            // checks in the certificate from the Host header, not from SslOptions.TargetHost.
            request.Headers.Host = _config.TlsServerName;
        }
        if (!string.IsNullOrEmpty(_config.UserAgent))
        {
            request.Headers.UserAgent.TryParseAdd(_config.UserAgent);
        }
        return await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private async Task<AuthenticationHeaderValue?> AuthorizationAsync(CancellationToken ct)
    {
        // A token provider re-reads a rotated service-account token, or runs a kubeconfig's exec plugin.
        if (_config.TokenProvider is { } provider)
        {
            return await provider.GetAuthenticationHeaderAsync(ct).ConfigureAwait(false);
        }
        if (!string.IsNullOrEmpty(_config.AccessToken))
        {
            return new AuthenticationHeaderValue("Bearer", _config.AccessToken);
        }
        if (!string.IsNullOrEmpty(_config.Username))
        {
            string pair = _config.Username + ":" + (_config.Password ?? "");
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        }
        return null;
    }

    private static SslClientAuthenticationOptions TlsOptions(KubernetesClientConfiguration config)
    {
        var options = new SslClientAuthenticationOptions();
        if (ClientCertificate(config) is { } certificate)
        {
            options.ClientCertificates = [certificate];
        }
        if (config.SkipTlsVerify)
        {
            // The kubeconfig said insecure-skip-tls-verify: true; honoured as kubectl does.
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (config.SslCaCerts is { Count: > 0 } ca)
        {
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedByCa(certificate, errors, ca);
        }
        return options;
    }

    /// <summary>
    /// The cluster's CA is usually private: the chain is built against it alone, and the
    /// name must still match. The system store is not consulted, as with kubectl.
    /// </summary>
    internal static bool TrustedByCa(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection ca)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }
        if (certificate is X509Certificate2 leaf)
        {
            return PeerCertificate.ChainsTo(leaf, ca);
        }
        using var copy = new X509Certificate2(certificate);
        return PeerCertificate.ChainsTo(copy, ca);
    }

    private static X509Certificate2? ClientCertificate(KubernetesClientConfiguration config)
    {
        if (!string.IsNullOrEmpty(config.ClientCertificateData) && !string.IsNullOrEmpty(config.ClientCertificateKeyData))
        {
            // kubeconfig's client-certificate-data and client-key-data: base64 of PEM.
            return X509Certificate2.CreateFromPem(
                Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateData)),
                Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateKeyData)));
        }
        if (!string.IsNullOrEmpty(config.ClientCertificateFilePath) && !string.IsNullOrEmpty(config.ClientKeyFilePath))
        {
            return X509Certificate2.CreateFromPemFile(config.ClientCertificateFilePath, config.ClientKeyFilePath);
        }
        return null;
    }
}
