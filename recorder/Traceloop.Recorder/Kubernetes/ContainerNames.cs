using System.Runtime.CompilerServices;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// A recorded container's Kubernetes names, kept once seen. The pod cache names only the current
/// and the last instance of each container, so in a fast crash loop an instance can drop out of
/// the pod's status before its dump is taken or listed; the names it had stay with it here.
/// </summary>
internal sealed class ContainerNames(PodCache pods)
{
    private readonly ConditionalWeakTable<RecordedContainer, KubernetesIdentity> _seen = [];

    /// <summary>The container's names as the pod cache gives them now, else as it last gave them.</summary>
    public KubernetesIdentity? Of(RecordedContainer container)
    {
        KubernetesIdentity? now = KubernetesIdentity.Resolve(pods, container);
        if (now?.Container is not null)
        {
            _seen.AddOrUpdate(container, now);
            return now;
        }
        return _seen.TryGetValue(container, out KubernetesIdentity? seen) ? seen : now;
    }
}
