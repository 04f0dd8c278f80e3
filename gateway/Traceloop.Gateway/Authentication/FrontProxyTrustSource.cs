using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Gateway.Hosting;
using Traceloop.Gateway.Kubernetes;

namespace Traceloop.Gateway.Authentication;

/// <summary>
/// Keeps the front-proxy trust current: reads ConfigMap kube-system/extension-apiserver-authentication
/// before the server listens, and again every AuthenticationRefresh, so a rotated front-proxy CA
/// is followed. A failed read keeps the last good trust (none before the first: every request is
/// refused) and is logged.
/// </summary>
internal sealed partial class FrontProxyTrustSource(ApiServerClient apiServer, IOptions<GatewayOptions> options, ILogger<FrontProxyTrustSource> logger)
    : BackgroundService
{
    private volatile FrontProxyTrust _current = FrontProxyTrust.None;

    public FrontProxyTrust Current => _current;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.AuthenticationRefresh);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await RefreshAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var data = await apiServer.GetConfigMapDataAsync(FrontProxyTrust.ConfigMapNamespace, FrontProxyTrust.ConfigMapName, timeout.Token).ConfigureAwait(false);
            FrontProxyTrust trust = FrontProxyTrust.FromConfigMapData(data);
            if (trust.Authorities.Count == 0)
            {
                LogNoFrontProxy(logger, FrontProxyTrust.ConfigMapNamespace, FrontProxyTrust.ConfigMapName);
            }
            _current = trust;
        }
        catch (Exception e) when (e is KubernetesRequestException or HttpRequestException or FormatException
            or OperationCanceledException && !ct.IsCancellationRequested)
        {
            LogRefreshFailed(logger, FrontProxyTrust.ConfigMapNamespace, FrontProxyTrust.ConfigMapName, e.Message);
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Cannot read the front-proxy trust from {Namespace}/{Name}; the last one read stays in use: {Error}")]
    private static partial void LogRefreshFailed(ILogger logger, string @namespace, string name, string error);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Namespace}/{Name} has no requestheader-client-ca-file: every request is refused until it has one")]
    private static partial void LogNoFrontProxy(ILogger logger, string @namespace, string name);
}
