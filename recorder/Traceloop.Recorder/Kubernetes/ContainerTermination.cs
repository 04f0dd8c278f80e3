namespace Traceloop.Recorder.Kubernetes;

/// <summary>How a container instance ended, as the kubelet reported it.</summary>
/// <param name="ContainerId">The ended instance's runtime id (normalized); a restarted container has a new one.</param>
internal sealed record ContainerTermination(int ExitCode, int? Signal, string? Reason, DateTimeOffset? FinishedAt, string? ContainerId);
