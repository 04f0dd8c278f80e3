namespace Traceloop.Recorder.Kubernetes;

internal enum KubernetesMode
{
    /// <summary>No cluster: not in a pod and no kubeconfig. Pod metadata is off.</summary>
    Local,

    /// <summary>In a pod: the service-account token and CA, and the API server's service address.</summary>
    InCluster,

    /// <summary>A kubeconfig file (--kubeconfig or KUBECONFIG), for a recorder started outside the cluster.</summary>
    Kubeconfig,
}
