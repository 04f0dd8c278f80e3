namespace Traceloop.Recorder.Containers;

/// <summary>What a cgroup path says about the container in it.</summary>
internal sealed record ContainerIdentity(string Id, string? PodUid, string Runtime);
