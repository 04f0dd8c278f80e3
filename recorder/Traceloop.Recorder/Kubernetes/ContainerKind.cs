namespace Traceloop.Recorder.Kubernetes;

/// <summary>Which list of the pod spec a container comes from.</summary>
internal enum ContainerKind
{
    Regular,
    Init,
    Ephemeral,
}
