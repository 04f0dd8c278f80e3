using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Traceloop.Cluster;

namespace Traceloop.Recorder.Hosting;

/// <summary>
/// The optional TCP listener the cluster gateway calls (--cluster-address, --cluster-tls-dir):
/// the same routes as the Unix socket, over TLS with this agent's certificate, and only for a
/// client whose certificate chains to the cluster CA and names the gateway. Everyone else is
/// refused during the handshake, before any HTTP is read; who may read what is the gateway's
/// decision, made with the cluster's RBAC. The port is bound at start even while the TLS files
/// are still awaited (<see cref="ClusterTls"/>); until then every handshake is refused.
/// </summary>
internal static partial class ClusterEndpoint
{
    /// <summary>The identity (CN or DNS SAN) the gateway's client certificate carries.</summary>
    public const string GatewayIdentity = "traceloop-gateway";

    public static void Listen(KestrelServerOptions kestrel, IPEndPoint address, ClusterTls tls, ILogger logger)
    {
        kestrel.Listen(address, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            // Asked on every handshake, so a rotated Secret is served without a restart.
            ServerCertificateSelector = (_, _) => Current(tls, logger).Certificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            // The platform's errors are about the system store, which is not the trust here.
            ClientCertificateValidation = (certificate, _, _) => Accept(certificate, Current(tls, logger).Authorities, logger),
        }));
    }

    /// <summary>Whether a client certificate is the gateway's: chains to the cluster CA for client use and names the gateway.</summary>
    internal static bool IsGateway(X509Certificate2 certificate, X509Certificate2Collection authorities) =>
        PeerCertificate.ChainsTo(certificate, authorities, PeerCertificate.ClientAuth) && PeerCertificate.Names(certificate, GatewayIdentity);

    private static bool Accept(X509Certificate2 certificate, X509Certificate2Collection authorities, ILogger logger)
    {
        if (IsGateway(certificate, authorities))
        {
            return true;
        }
        LogRefused(logger, PeerCertificate.CommonName(certificate), certificate.Issuer);
        return false;
    }

    private static (X509Certificate2 Certificate, X509Certificate2Collection Authorities) Current(ClusterTls tls, ILogger logger)
    {
        // Refuses this handshake only; ClusterTls keeps trying the files and logs why.
        TlsFiles files = tls.Files ?? throw new AuthenticationException("the cluster TLS files are not there yet");
        (X509Certificate2, X509Certificate2Collection) current = (files.Certificate, files.Authorities);
        if (files.LastError is { } error)
        {
            LogReloadFailed(logger, error);
        }
        return current;
    }

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning,
        Message = "Cluster listener refused a client certificate (CN '{Subject}', issuer '{Issuer}'): only the gateway's, signed by the cluster CA, is accepted")]
    private static partial void LogRefused(ILogger logger, string subject, string issuer);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Cluster TLS files changed but cannot be used; the previous ones stay in use: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string error);
}
