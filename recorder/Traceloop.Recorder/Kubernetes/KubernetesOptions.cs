namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// How the recorder reaches the API server for pod metadata. Kubernetes is used when the
/// process runs in a pod (KUBERNETES_SERVICE_HOST/PORT and a service-account token), or when a
/// kubeconfig is given (<see cref="Kubeconfig"/>, else KUBECONFIG); otherwise the recorder runs
/// in local mode and never talks to an API server.
/// </summary>
internal sealed class KubernetesOptions
{
    public const string DefaultServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>A kubeconfig file for running outside the cluster (--kubeconfig); KUBECONFIG when unset.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>This node's name (--node-name); NODE_NAME when unset, as the downward API's spec.nodeName sets it.</summary>
    public string? NodeName { get; set; }

    /// <summary>Where the pod's service-account token, CA bundle and namespace are mounted.</summary>
    public string ServiceAccountDir { get; set; } = DefaultServiceAccountDir;

    /// <summary>The first retry delay after a failed list or watch; it doubles with each failure in a row.</summary>
    public TimeSpan ResyncBackoffInitial { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest retry delay, however long the API server stays away.</summary>
    public TimeSpan ResyncBackoffMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The timeoutSeconds asked of each watch (each gets up to a quarter more, at random, so that
    /// a DaemonSet's watches do not all end together); the server then ends it cleanly and the
    /// watcher resumes from the last resource version.
    /// </summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
