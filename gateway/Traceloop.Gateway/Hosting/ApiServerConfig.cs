using System.Security.Cryptography;
using k8s;
using k8s.Exceptions;

namespace Traceloop.Gateway.Hosting;

/// <summary>How the gateway reaches the API server: --kubeconfig, else the in-cluster service account, else KUBECONFIG.</summary>
internal static class ApiServerConfig
{
    /// <summary>Reads the credentials; throws InvalidOperationException with the reason when there are none or they cannot be used.</summary>
    public static KubernetesClientConfiguration Create(GatewayOptions options)
    {
        string? kubeconfig = options.Kubeconfig.Length > 0 ? options.Kubeconfig : null;
        KubernetesClientConfiguration config;
        try
        {
            if (kubeconfig is null && KubernetesClientConfiguration.IsInCluster())
            {
                config = KubernetesClientConfiguration.InClusterConfig();
            }
            else
            {
                kubeconfig ??= Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists)
                    ?? throw new InvalidOperationException("no API server: not in a cluster, and neither --kubeconfig nor KUBECONFIG names a file");
                config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
            }
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or FormatException
            or CryptographicException or YamlDotNet.Core.YamlException)
        {
            throw new InvalidOperationException($"cannot use {kubeconfig ?? "the in-cluster service account"}: {e.Message}", e);
        }
        config.HttpClientTimeout = TimeSpan.FromSeconds(30);
        config.FirstMessageHandlerSetup = handler => handler.ConnectTimeout = TimeSpan.FromSeconds(10);
        return config;
    }
}
