using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>A recorded container's Kubernetes names, as far as the pod cache knows them now.</summary>
internal sealed record KubernetesIdentity(PodInfo Pod, ContainerMeta? Container)
{
    /// <summary>
    /// Looked up on every call rather than stored: a container seen before its pod object
    /// arrived gets its names as soon as the watcher has them.
    /// </summary>
    public static KubernetesIdentity? Resolve(PodCache pods, RecordedContainer container)
    {
        if (pods.TryGetByContainerId(container.Id, out PodInfo? pod, out ContainerMeta? meta))
        {
            return new KubernetesIdentity(pod, meta);
        }
        // Not in the pod's status yet (it is written after the container starts): the pod uid
        // from the cgroup path still names the pod.
        return container.Identity.PodUid is { } uid && pods.TryGetByPodUid(uid, out PodInfo? byUid)
            ? new KubernetesIdentity(byUid, null)
            : null;
    }
}
