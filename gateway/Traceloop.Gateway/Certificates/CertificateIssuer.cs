using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Gateway.Hosting;
using Traceloop.Gateway.Kubernetes;

namespace Traceloop.Gateway.Certificates;

/// <summary>
/// The issuer (--issue-certificates): keeps the cluster CA in Secret traceloop-cluster-ca and the
/// agents' certificate in Secret traceloop-agent-tls, in the agents' namespace, and renews them as
/// <see cref="IssuedCertificates.Next"/> says, checking every <see cref="CheckInterval"/>. Its
/// current client certificate and trust are what the gateway presents to and expects of the agents.
/// Several gateway replicas may run it: a write made stale by another's is refused by the API
/// server (resourceVersion) and read back on the next check.
/// </summary>
internal sealed partial class CertificateIssuer(ApiServerClient apiServer, IOptions<GatewayOptions> options, TimeProvider time, ILogger<CertificateIssuer> logger)
    : BackgroundService, ITlsCredentials
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(10);

    /// <summary>How long a changed Secret takes to reach every mount (the kubelet's sync period plus its cache), with margin.</summary>
    public static readonly TimeSpan Propagation = TimeSpan.FromMinutes(15);

    private volatile IssuedCertificates? _current;

    public X509Certificate2 Certificate => (_current ?? throw new InvalidOperationException("the cluster certificates are not issued yet")).Gateway;

    public X509Certificate2Collection Authorities => _current?.Trust ?? [];

    /// <summary>The first check before the server listens: without certificates no agent can be called.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await CheckAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task CheckAsync(CancellationToken ct)
    {
        string ns = options.Value.AgentNamespace;
        try
        {
            var ca = await apiServer.GetSecretAsync(ns, IssuerSecrets.CaSecret, ct).ConfigureAwait(false);
            var agent = await apiServer.GetSecretAsync(ns, IssuerSecrets.AgentSecret, ct).ConfigureAwait(false);
            IssuedCertificates? stored;
            try
            {
                stored = IssuerSecrets.Read(ca?.Data, agent?.Data);
            }
            catch (FormatException e)
            {
                LogUnreadable(logger, e.Message);
                stored = null;
            }
            IssuedCertificates next = IssuedCertificates.Next(stored, time.GetUtcNow(), Propagation);
            if (!ReferenceEquals(next, stored))
            {
                // The CA Secret first: if the agents' write then fails, the next check re-issues from the kept CA.
                Dictionary<string, string> caData = IssuerSecrets.CaData(next), agentData = IssuerSecrets.AgentData(next);
                if (ca is null || !Same(ca.Value.Data, caData))
                {
                    await apiServer.PutSecretAsync(ns, IssuerSecrets.CaSecret, "Opaque", caData, ca?.ResourceVersion ?? "", ct).ConfigureAwait(false);
                }
                if (agent is null || !Same(agent.Value.Data, agentData))
                {
                    await apiServer.PutSecretAsync(ns, IssuerSecrets.AgentSecret, "kubernetes.io/tls", agentData, agent?.ResourceVersion ?? "", ct).ConfigureAwait(false);
                }
                LogIssued(logger, ns, next.Ca.NotAfter, next.Agent.NotAfter, next.PreviousCa is not null);
            }
            _current = next;
        }
        catch (KubernetesRequestException e) when (e.Status == HttpStatusCode.Conflict)
        {
            LogConflict(logger);
        }
        catch (Exception e) when (e is KubernetesRequestException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            LogFailed(logger, ns, e.Message);
        }
    }

    private static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out string? v) && v == kv.Value);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information,
        Message = "Cluster certificates written in namespace {Namespace}: CA until {CaNotAfter:O}, leaves until {LeafNotAfter:O}, CA rotation in progress: {Rotating}")]
    private static partial void LogIssued(ILogger logger, string @namespace, DateTime caNotAfter, DateTime leafNotAfter, bool rotating);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Cannot read or write the cluster certificate Secrets in namespace {Namespace}; the agents cannot be called until this works: {Error}")]
    private static partial void LogFailed(ILogger logger, string @namespace, string error);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Another gateway replica wrote the cluster certificates first; they are read back on the next check")]
    private static partial void LogConflict(ILogger logger);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "The cluster certificate Secrets cannot be read; a new CA is made (agents refuse the gateway until they mount it): {Error}")]
    private static partial void LogUnreadable(ILogger logger, string error);
}
