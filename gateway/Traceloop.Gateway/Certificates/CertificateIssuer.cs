using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Hosting;
using Traceloop.Gateway.Kubernetes;

namespace Traceloop.Gateway.Certificates;

/// <summary>
/// The issuer (--issue-certificates): keeps the cluster CA in Secret traceloop-cluster-ca, the
/// agents' certificate in Secret traceloop-agent-tls and the gateway's serving certificate in
/// Secret traceloop-gateway-tls, in the agents' namespace, renews them as
/// <see cref="IssuedCertificates.Next"/> says, checking every <see cref="CheckInterval"/>, and
/// writes the CA bundle into the APIService's caBundle so the aggregation layer trusts the
/// serving certificate (unless the gateway serves one from files, --tls-cert). Its current client certificate and trust are what the gateway presents to
/// and expects of the agents; <see cref="ServingCertificate"/> is what it serves.
/// Several gateway replicas may run it: a write made stale by another's is refused by the API
/// server (resourceVersion, or AlreadyExists for a create) and the Secrets are read again at once,
/// so the replicas converge on the certificates the first one wrote.
/// </summary>
internal sealed partial class CertificateIssuer(ApiServerClient apiServer, IOptions<GatewayOptions> options, TimeProvider time, ILogger<CertificateIssuer> logger)
    : BackgroundService, ITlsCredentials
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(10);

    /// <summary>How soon a check that failed (API server unreachable, APIService missing) is tried again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long a changed Secret takes to reach every mount (the kubelet's sync period plus its cache), with margin.</summary>
    public static readonly TimeSpan Propagation = TimeSpan.FromMinutes(15);

    /// <summary>The APIService whose caBundle vouches for the serving certificate (deploy/base/apiservice.yaml).</summary>
    public static readonly string ApiService = $"{ResourceAccess.Version}.{ResourceAccess.Group}";

    // Conflicting writes by other replicas in a row before the check gives up until the next one.
    private const int ConflictAttempts = 3;

    private volatile IssuedCertificates? _current;
    private string? _bundleWritten;
    private bool _healthy;

    public X509Certificate2 Certificate => (_current ?? throw new InvalidOperationException("the cluster certificates are not issued yet")).Gateway;

    public X509Certificate2Collection Authorities => _current?.Trust ?? [];

    /// <summary>The gateway's serving certificate; null until the first check has succeeded.</summary>
    public X509Certificate2? ServingCertificate => _current?.Serving;

    /// <summary>The first check before the server listens: without certificates no agent can be called, and nothing served.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool healthy = _healthy;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(healthy ? CheckInterval : RetryInterval, time, stoppingToken).ConfigureAwait(false);
            healthy = await CheckAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One check: the Secrets read, renewed and written as due, then the caBundle. True when all of it succeeded.</summary>
    internal async Task<bool> CheckAsync(CancellationToken ct)
    {
        string ns = options.Value.AgentNamespace;
        bool issued = false;
        for (int attempt = 1; attempt <= ConflictAttempts && !issued; attempt++)
        {
            try
            {
                _current = await IssueAsync(ns, ct).ConfigureAwait(false);
                issued = true;
            }
            catch (KubernetesRequestException e) when (e.Status == HttpStatusCode.Conflict)
            {
                LogConflict(logger);
            }
            catch (Exception e) when (e is KubernetesRequestException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                LogFailed(logger, ns, e.Message);
                return false;
            }
        }
        _healthy = issued && _current is { } current && await WriteCaBundleAsync(current, ct).ConfigureAwait(false);
        return _healthy;
    }

    private async Task<IssuedCertificates> IssueAsync(string ns, CancellationToken ct)
    {
        var ca = await apiServer.GetSecretAsync(ns, IssuerSecrets.CaSecret, ct).ConfigureAwait(false);
        var agent = await apiServer.GetSecretAsync(ns, IssuerSecrets.AgentSecret, ct).ConfigureAwait(false);
        var serving = await apiServer.GetSecretAsync(ns, IssuerSecrets.ServingSecret, ct).ConfigureAwait(false);
        IssuedCertificates? stored;
        try
        {
            stored = IssuerSecrets.Read(ca?.Data, agent?.Data, serving?.Data);
        }
        catch (FormatException e)
        {
            LogUnreadable(logger, e.Message);
            stored = null;
        }
        IssuedCertificates next = IssuedCertificates.Next(stored, time.GetUtcNow(), Propagation, ns);
        if (!ReferenceEquals(next, stored))
        {
            // The CA Secret first: if a leaf's write then fails, the next check re-issues it from the kept CA.
            await WriteAsync(ns, IssuerSecrets.CaSecret, "Opaque", ca, IssuerSecrets.CaData(next), ct).ConfigureAwait(false);
            await WriteAsync(ns, IssuerSecrets.AgentSecret, "kubernetes.io/tls", agent, IssuerSecrets.AgentData(next), ct).ConfigureAwait(false);
            await WriteAsync(ns, IssuerSecrets.ServingSecret, "kubernetes.io/tls", serving, IssuerSecrets.ServingData(next), ct).ConfigureAwait(false);
            LogIssued(logger, ns, next.Ca.NotAfter, next.Agent.NotAfter, next.PreviousCa is not null);
        }
        return next;
    }

    private async Task WriteAsync(string ns, string name, string type, (Dictionary<string, string> Data, string ResourceVersion)? stored,
        Dictionary<string, string> data, CancellationToken ct)
    {
        if (stored is null || !Same(stored.Value.Data, data))
        {
            await apiServer.PutSecretAsync(ns, name, type, data, stored?.ResourceVersion ?? "", ct).ConfigureAwait(false);
        }
    }

    // Written when the bundle differs from the last one written by this replica (and so on start);
    // the API server's copy is compared first, so replicas agreeing on it write nothing.
    // A serving certificate from files (--tls-cert) is vouched for by whoever made it: the caBundle is theirs.
    private async Task<bool> WriteCaBundleAsync(IssuedCertificates current, CancellationToken ct)
    {
        string bundle = IssuerSecrets.TrustPem(current);
        if (options.Value.TlsCert.Length > 0 || bundle == _bundleWritten)
        {
            return true;
        }
        try
        {
            if (await apiServer.SetApiServiceCaBundleAsync(ApiService, bundle, ct).ConfigureAwait(false))
            {
                LogCaBundleWritten(logger, ApiService, current.Trust.Count);
            }
            _bundleWritten = bundle;
            return true;
        }
        catch (Exception e) when (e is KubernetesRequestException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            LogCaBundleFailed(logger, ApiService, RetryInterval.TotalSeconds, e.Message);
            return false;
        }
    }

    private static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out string? v) && v == kv.Value);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information,
        Message = "Cluster certificates written in namespace {Namespace}: CA until {CaNotAfter:O}, leaves until {LeafNotAfter:O}, CA rotation in progress: {Rotating}")]
    private static partial void LogIssued(ILogger logger, string @namespace, DateTime caNotAfter, DateTime leafNotAfter, bool rotating);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Cannot read or write the cluster certificate Secrets in namespace {Namespace}; the agents cannot be called until this works: {Error}")]
    private static partial void LogFailed(ILogger logger, string @namespace, string error);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Another gateway replica wrote the cluster certificates first; they are read again")]
    private static partial void LogConflict(ILogger logger);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "The cluster certificate Secrets cannot be read; a new CA is made (agents refuse the gateway until they mount it): {Error}")]
    private static partial void LogUnreadable(ILogger logger, string error);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning,
        Message = "Cannot write the CA bundle into APIService {ApiService}; the API server cannot trust this gateway until it is, retried in {RetrySeconds}s: {Error}")]
    private static partial void LogCaBundleFailed(ILogger logger, string apiService, double retrySeconds, string error);

    [LoggerMessage(EventId = 25, Level = LogLevel.Information, Message = "CA bundle ({Count} CA) written into APIService {ApiService}")]
    private static partial void LogCaBundleWritten(ILogger logger, string apiService, int count);
}
