namespace Traceloop.Recorder.Kubernetes;

/// <summary>One container of a pod, from its spec and its status.</summary>
/// <param name="ContainerId">The running (or last) instance's id as the recorder's cgroups name it: lowercase, no runtime prefix; null before it started.</param>
/// <param name="Terminated">Set when the current instance has ended.</param>
/// <param name="LastTerminated">How the previous instance ended, when the container has restarted.</param>
internal sealed record ContainerMeta(
    string Name,
    string? ContainerId,
    string? Image,
    int RestartCount,
    ContainerKind Kind,
    ContainerTermination? Terminated,
    ContainerTermination? LastTerminated);
