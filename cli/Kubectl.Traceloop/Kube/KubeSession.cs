using System.Security.Cryptography;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Kube;

/// <summary>A client for the cluster the kubeconfig names, and the namespaces a command works in.</summary>
internal sealed class KubeSession : IDisposable
{
    private KubeSession(KubernetesClientConfiguration config, string ns, KubeSettings settings)
    {
        Config = config;
        Namespace = ns;
        Settings = settings;
        SocketsHttpHandler? handler = null;
        // The client keeps its TLS-configured handler private; calls to the aggregated API need it.
        config.FirstMessageHandlerSetup = h =>
        {
            h.ConnectTimeout = TimeSpan.FromSeconds(10);
            handler = h;
        };
        Client = new Kubernetes(config);
        Handler = handler ?? throw new InvalidOperationException("the Kubernetes client did not create its HTTP handler");
    }

    /// <summary>The client's HTTP handler: the kubeconfig's CA trust and client certificate, no credentials.</summary>
    public HttpMessageHandler Handler { get; }

    public KubernetesClientConfiguration Config { get; }

    public Kubernetes Client { get; }

    /// <summary>The namespace a command means when -A is not given.</summary>
    public string Namespace { get; }

    public KubeSettings Settings { get; }

    public TimeSpan Timeout => Settings.Timeout ?? KubeSettings.DefaultTimeout;

    public static KubeSession Open(KubeSettings settings) =>
        Open(settings, Environment.GetEnvironmentVariable("KUBECONFIG"), Environment.GetEnvironmentVariable("HOME"));

    public static KubeSession Open(KubeSettings settings, string? kubeconfigVariable, string? home)
    {
        IReadOnlyList<string> files = KubeconfigResolution.Files(settings.Kubeconfig, kubeconfigVariable, home);
        KubernetesClientConfiguration config;
        if (files.Count == 0)
        {
            if (!KubernetesClientConfiguration.IsInCluster())
            {
                throw new PluginException("no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config", ExitCode.Usage);
            }
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            config = Load(files, settings.Context);
        }
        config.HttpClientTimeout = settings.Timeout ?? KubeSettings.DefaultTimeout;
        return new KubeSession(config, KubeconfigResolution.Namespace(settings.Namespace, config.Namespace), settings);
    }

    public void Dispose() => Client.Dispose();

    private static KubernetesClientConfiguration Load(IReadOnlyList<string> files, string? context)
    {
        string which = string.Join(':', files);
        try
        {
            K8SConfiguration merged = KubeconfigMerge.Merge(
                files.Select(f => KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(f), useRelativePaths: true)).ToList());
            return KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, string.IsNullOrWhiteSpace(context) ? null : context.Trim());
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or FormatException
            or CryptographicException or YamlDotNet.Core.YamlException)
        {
            throw new PluginException($"cannot use kubeconfig {which}: {e.Message}", ExitCode.Usage, e);
        }
    }
}
