using System.Runtime.CompilerServices;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// A recorded container's Kubernetes names, kept once seen while its pod exists. The pod cache
/// names only the current and the last instance of each container, so in a fast crash loop an
/// instance can drop out of the pod's status before its dump is taken or listed; the container
/// name it had stays with it here, with the pod as the cache has it now. A deleted pod's
/// containers lose their names, as the cache's do.
/// </summary>
internal sealed class ContainerNames(PodCache pods)
{
    private readonly ConditionalWeakTable<RecordedContainer, KubernetesIdentity> _seen = [];

    /// <summary>The container's names as the pod cache gives them now, else its pod now with the container name it last had.</summary>
    public KubernetesIdentity? Of(RecordedContainer container)
    {
        KubernetesIdentity? now = KubernetesIdentity.Resolve(pods, container);
        if (now?.Container is not null)
        {
            _seen.AddOrUpdate(container, now);
            return now;
        }
        if (!_seen.TryGetValue(container, out KubernetesIdentity? seen))
        {
            return now;
        }
        if (!pods.TryGetByPodUid(seen.Pod.Uid, out PodInfo? pod))
        {
            _seen.Remove(container);
            return now;
        }
        return seen with { Pod = pod };
    }
}
