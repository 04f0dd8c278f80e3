namespace Traceloop.Recorder.Kubernetes;

/// <summary>Turns a pod object from the API into the <see cref="PodInfo"/> the recorder keeps.</summary>
internal static class PodInfoMapper
{
    /// <summary>Null for an object that is not a usable pod (no uid, name or namespace).</summary>
    public static PodInfo? FromPod(Pod pod)
    {
        ObjectMeta? meta = pod.Metadata;
        if (meta?.Uid is not { Length: > 0 } uid || meta.Name is not { Length: > 0 } name || meta.Namespace is not { Length: > 0 } ns)
        {
            return null;
        }
        var containers = new List<ContainerMeta>();
        // Init containers first: the order the kubelet runs them in.
        Add(containers, ContainerKind.Init, pod.Spec?.InitContainers?.Select(c => (c.Name, c.Image)), pod.Status?.InitContainerStatuses);
        Add(containers, ContainerKind.Regular, pod.Spec?.Containers?.Select(c => (c.Name, c.Image)), pod.Status?.ContainerStatuses);
        Add(containers, ContainerKind.Ephemeral, pod.Spec?.EphemeralContainers?.Select(c => (c.Name, c.Image)), pod.Status?.EphemeralContainerStatuses);
        return new PodInfo(
            ns,
            name,
            uid,
            meta.Labels is { Count: > 0 } labels ? new Dictionary<string, string>(labels, StringComparer.Ordinal) : EmptyLabels,
            pod.Spec?.NodeName,
            pod.Status?.Phase,
            meta.ResourceVersion ?? "",
            containers);
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyLabels = new Dictionary<string, string>();

    private static void Add(List<ContainerMeta> into, ContainerKind kind, IEnumerable<(string? Name, string? Image)>? specs, IList<ContainerStatus>? statuses)
    {
        var byName = new Dictionary<string, ContainerStatus>(StringComparer.Ordinal);
        foreach (ContainerStatus status in statuses ?? [])
        {
            if (status.Name is not null)
            {
                byName[status.Name] = status;
            }
        }
        foreach ((string? name, string? image) in specs ?? [])
        {
            if (name is null)
            {
                continue;
            }
            byName.Remove(name, out ContainerStatus? status);
            into.Add(Map(kind, name, image, status));
        }
        // A status without a spec entry should not happen; keep it rather than lose an id.
        foreach ((string name, ContainerStatus status) in byName)
        {
            into.Add(Map(kind, name, null, status));
        }
    }

    private static ContainerMeta Map(ContainerKind kind, string name, string? image, ContainerStatus? status) => new(
        name,
        ContainerIds.Normalize(status?.ContainerID),
        image ?? status?.Image,
        status?.RestartCount ?? 0,
        kind,
        Termination(status?.State?.Terminated),
        Termination(status?.LastState?.Terminated));

    private static ContainerTermination? Termination(ContainerStateTerminated? t) => t is null
        ? null
        : new ContainerTermination(
            t.ExitCode,
            t.Signal,
            t.Reason,
            t.FinishedAt,
            ContainerIds.Normalize(t.ContainerID));
}
