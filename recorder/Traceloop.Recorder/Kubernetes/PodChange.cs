namespace Traceloop.Recorder.Kubernetes;

internal enum PodChangeKind
{
    Added,
    Updated,
    Removed,
}

/// <summary>One change to the pod cache; <see cref="Previous"/> is the pod as it was before an update or removal.</summary>
internal sealed record PodChange(PodChangeKind Kind, PodInfo Pod, PodInfo? Previous);
