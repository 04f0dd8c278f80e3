using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Authentication;
using k8s.Exceptions;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>Which API server to use and as whom, decided once at start from options and environment.</summary>
internal sealed record KubernetesTarget(KubernetesMode Mode, string? NodeName, string Source)
{
    private string? ServiceAccountDir { get; init; }

    private string? KubeconfigPath { get; init; }

    private string? ServiceHost { get; init; }

    private string? ServicePort { get; init; }

    /// <summary>
    /// In a pod when the service's address and the token and CA files are all there (what
    /// client-go's rest.InClusterConfig requires); else the kubeconfig option, else KUBECONFIG;
    /// else local. ~/.kube/config is deliberately not read: a node daemon running as root
    /// should not pick up an administrator's credentials by accident.
    /// </summary>
    public static KubernetesTarget Resolve(KubernetesOptions options, KubernetesEnvironment env)
    {
        string? node = string.IsNullOrWhiteSpace(options.NodeName) ? env.NodeName : options.NodeName.Trim();
        string dir = options.ServiceAccountDir;
        if (env.ServiceHost is { } host && env.ServicePort is { } port
            && File.Exists(Path.Join(dir, "token")) && File.Exists(Path.Join(dir, "ca.crt")))
        {
            return new KubernetesTarget(KubernetesMode.InCluster, node, $"in-cluster service account ({dir})")
            {
                ServiceAccountDir = dir,
                ServiceHost = host,
                ServicePort = port,
            };
        }
        string? kubeconfig = string.IsNullOrWhiteSpace(options.Kubeconfig) ? env.Kubeconfig : options.Kubeconfig.Trim();
        if (kubeconfig is not null)
        {
            // KUBECONFIG may list several files; like kubectl, the first one that exists is used.
            string path = kubeconfig.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .FirstOrDefault(File.Exists) ?? kubeconfig;
            return new KubernetesTarget(KubernetesMode.Kubeconfig, node, $"kubeconfig {path}") { KubeconfigPath = path };
        }
        return new KubernetesTarget(KubernetesMode.Local, node, "local mode");
    }

    /// <summary>
    /// Reads the credentials (local files only, no network). Throws InvalidOperationException
    /// with the reason when they cannot be used, so a bad setup stops the start, plainly.
    /// </summary>
    public KubernetesClientConfiguration CreateClientConfiguration()
    {
        KubernetesClientConfiguration config = Mode switch
        {
            KubernetesMode.InCluster => InCluster(),
            KubernetesMode.Kubeconfig => FromKubeconfig(),
            _ => throw new InvalidOperationException("Kubernetes is not configured (local mode)"),
        };
        // The list is small (one node's pods); a watch is read after its headers, which this does not limit.
        config.HttpClientTimeout = TimeSpan.FromSeconds(60);
        config.FirstMessageHandlerSetup = handler =>
        {
            // A blackholed API server must not hold a connect attempt for the kernel's two minutes.
            handler.ConnectTimeout = TimeSpan.FromSeconds(10);
            // HTTP/2 pings notice a connection that died silently (a node's network cut, an LB
            // that dropped state) during a quiet watch, as client-go's read-idle health check does.
            handler.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(15);
            handler.KeepAlivePingPolicy = System.Net.Http.HttpKeepAlivePingPolicy.Always;
        };
        return config;
    }

    // KubernetesClientConfiguration.InClusterConfig() reads a fixed /var/run/secrets path;
    // this is the same thing with the directory as an option.
    private KubernetesClientConfiguration InCluster()
    {
        string caFile = Path.Join(ServiceAccountDir, "ca.crt");
        var ca = new X509Certificate2Collection();
        try
        {
            ca.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"cannot read the service account's CA bundle {caFile}: {e.Message}", e);
        }
        if (ca.Count == 0)
        {
            throw new InvalidOperationException($"the service account's CA bundle {caFile} holds no certificate");
        }
        string host = ServiceHost!;
        var config = new KubernetesClientConfiguration
        {
            // An IPv6 service address needs brackets in a URL; UriBuilder adds them.
            Host = new UriBuilder("https", host, int.TryParse(ServicePort, out int port) ? port : 443).Uri.ToString(),
            // Re-read as the kubelet rotates the projected token.
            TokenProvider = new TokenFileAuth(Path.Join(ServiceAccountDir, "token")),
            SslCaCerts = ca,
        };
        string namespaceFile = Path.Join(ServiceAccountDir, "namespace");
        if (File.Exists(namespaceFile))
        {
            config.Namespace = File.ReadAllText(namespaceFile).Trim();
        }
        return config;
    }

    private KubernetesClientConfiguration FromKubeconfig()
    {
        if (!File.Exists(KubeconfigPath))
        {
            throw new InvalidOperationException($"kubeconfig {KubeconfigPath} does not exist");
        }
        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or FormatException
            or CryptographicException or YamlDotNet.Core.YamlException)
        {
            throw new InvalidOperationException($"cannot use kubeconfig {KubeconfigPath}: {e.Message}", e);
        }
    }
}
