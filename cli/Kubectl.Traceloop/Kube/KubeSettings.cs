namespace Kubectl.Traceloop.Kube;

/// <summary>The kubectl-style flags that say which cluster, as whom, and where to look.</summary>
internal sealed record KubeSettings(
    string? Kubeconfig = null,
    string? Context = null,
    string? Namespace = null,
    bool AllNamespaces = false,
    TimeSpan? Timeout = null)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
}
