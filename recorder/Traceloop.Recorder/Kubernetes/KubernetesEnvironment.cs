namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// The environment variables that decide how Kubernetes is reached. A seam so tests can point
/// a watcher at a fake API server without changing the test process's environment.
/// </summary>
internal sealed class KubernetesEnvironment(Func<string, string?> lookup)
{
    public static KubernetesEnvironment Process { get; } = new(Environment.GetEnvironmentVariable);

    public static KubernetesEnvironment Empty { get; } = new(_ => null);

    public string? ServiceHost => Get("KUBERNETES_SERVICE_HOST");

    public string? ServicePort => Get("KUBERNETES_SERVICE_PORT");

    public string? Kubeconfig => Get("KUBECONFIG");

    public string? NodeName => Get("NODE_NAME");

    public static KubernetesEnvironment From(IReadOnlyDictionary<string, string> variables) =>
        new(name => variables.TryGetValue(name, out string? value) ? value : null);

    private string? Get(string name) => lookup(name) is { Length: > 0 } value ? value.Trim() : null;
}
