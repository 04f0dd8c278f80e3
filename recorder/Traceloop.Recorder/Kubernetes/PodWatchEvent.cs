
namespace Traceloop.Recorder.Kubernetes;

internal enum PodWatchEventType
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

/// <summary>
/// One line of a watch stream. <see cref="ResourceVersion"/> is where a resumed watch would
/// continue after this event; <see cref="Error"/> is set for ERROR events.
/// </summary>
internal sealed record PodWatchEvent(PodWatchEventType Type, Pod? Pod, string? ResourceVersion, KubernetesApiException? Error);
