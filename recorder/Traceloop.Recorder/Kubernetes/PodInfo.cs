namespace Traceloop.Recorder.Kubernetes;

/// <summary>What the recorder keeps of a pod: enough to name and select its containers.</summary>
internal sealed record PodInfo(
    string Namespace,
    string Name,
    string Uid,
    IReadOnlyDictionary<string, string> Labels,
    string? NodeName,
    string? Phase,
    string ResourceVersion,
    IReadOnlyList<ContainerMeta> Containers)
{
    public string FullName => $"{Namespace}/{Name}";
}
