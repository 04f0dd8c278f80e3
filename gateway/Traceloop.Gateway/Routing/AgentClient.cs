using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Traceloop.Cluster;
using Traceloop.Gateway.Kubernetes;

namespace Traceloop.Gateway.Routing;

/// <summary>
/// Calls an agent's cluster listener over mutual TLS: the gateway's client certificate (as it is
/// now: re-read as its Secret rotates, or renewed by the issuer), and an agent certificate accepted only when it chains to the cluster CA
/// and names <see cref="AgentIdentity"/>. The address is not checked against the certificate: pod
/// IPs change with every restart, and the CA signs nothing but the agents and the gateway.
/// </summary>
internal sealed class AgentClient : IDisposable
{
    public const string AgentIdentity = "traceloop-agent";

    private readonly HttpClient _http;
    private readonly int _port;
    private readonly TimeSpan _timeout;

    public AgentClient(ITlsCredentials tls, int port, TimeSpan timeout)
    {
        _port = port;
        _timeout = timeout;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            // Pooled connections keep the certificates they were made with; a rotation reaches them within this.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => tls.Certificate;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            certificate is X509Certificate2 agent
            && (errors & ~(SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch)) == SslPolicyErrors.None
            && IsAgent(agent, tls.Authorities);
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    internal static bool IsAgent(X509Certificate2 certificate, X509Certificate2Collection authorities) =>
        PeerCertificate.ChainsTo(certificate, authorities, PeerCertificate.ServerAuth) && PeerCertificate.Names(certificate, AgentIdentity);

    /// <summary>
    /// Sends and returns once the agent's headers have arrived, within the agent timeout; the body
    /// is the caller's to read (a dump streams for as long as it takes).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(AgentPod agent, HttpMethod method, string pathAndQuery, CancellationToken ct)
    {
        var uri = new Uri(new UriBuilder(Uri.UriSchemeHttps, agent.Ip, _port).Uri, pathAndQuery);
        using var request = new HttpRequestMessage(method, uri);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new AgentUnreachableException(agent, $"no answer within {_timeout.TotalSeconds:0} s", e);
        }
        catch (HttpRequestException e)
        {
            throw new AgentUnreachableException(agent, e.InnerException?.Message ?? e.Message, e);
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An agent could not be reached or refused the gateway's TLS.</summary>
internal sealed class AgentUnreachableException(AgentPod agent, string reason, Exception inner)
    : Exception($"the agent on node {agent.Node} ({agent.Name}, {agent.Ip}) is unreachable: {reason}", inner)
{
    public AgentPod Agent { get; } = agent;

    public string Reason { get; } = reason;
}
