using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Recorder.Dumps;

/// <summary>Why a lookup found no single container.</summary>
internal enum LookupFailure
{
    None,
    /// <summary>The id cannot be a container id: a 400.</summary>
    Invalid,
    /// <summary>The prefix matches more than one container: a 400.</summary>
    Ambiguous,
    /// <summary>Nothing matches: a 404.</summary>
    NotFound,
}

/// <summary>A lookup's one container, or why there is none, said for the person who asked.</summary>
internal readonly record struct LookupOutcome(RecordedContainer? Container, LookupFailure Failure, string? Message);

/// <summary>
/// Finds recorded containers the ways the API names them: an id or unambiguous id prefix, a pod
/// (and container name) as the pod cache knows it, a cgroup directory. Ids are validated here,
/// once, before they reach the registry.
/// </summary>
internal sealed class ContainerLookup(ContainerRegistry registry, ContainerNames names, CgroupFs cgroups)
{
    public const int MinPrefix = 4;

    /// <summary>Every recorded container, oldest first.</summary>
    public List<RecordedContainer> All() => registry.List();

    public LookupOutcome ById(string id)
    {
        if (id.Length < MinPrefix || id.Length > 64 || !id.All(char.IsAsciiHexDigitLower))
        {
            return new(null, LookupFailure.Invalid,
                $"container id '{id}' must be {MinPrefix} to 64 lowercase hex digits (a prefix is enough when unambiguous)");
        }
        LookupResult found = registry.Find(id);
        if (found.Ambiguous)
        {
            return new(null, LookupFailure.Ambiguous, $"container id prefix '{id}' matches {found.Matches} or more containers; give more digits");
        }
        return found.Container is { } container
            ? new(container, LookupFailure.None, null)
            : new(null, LookupFailure.NotFound, $"no recorded container has id '{id}'; GET /containers lists them");
    }

    /// <summary>The recorded containers of a pod (only the one named <paramref name="container"/>, when given).</summary>
    public List<RecordedContainer> ByPod(string ns, string pod, string? container)
    {
        var matches = new List<RecordedContainer>();
        foreach (RecordedContainer c in registry.List())
        {
            KubernetesIdentity? k = names.Of(c);
            if (k is not null && k.Pod.Namespace == ns && k.Pod.Name == pod
                && (container is null || k.Container?.Name == container))
            {
                matches.Add(c);
            }
        }
        return matches;
    }

    /// <summary>What a pod lookup that found nothing says.</summary>
    public static string NoSuchPod(string ns, string pod, string? container) => container is null
        ? $"no recorded container belongs to pod {ns}/{pod}"
        : $"pod {ns}/{pod} has no recorded container named '{container}'";

    /// <summary>A container by its cgroup directory, absolute (under the mount point) or from the hierarchy root.</summary>
    public RecordedContainer? ByCgroup(string cgroup)
    {
        string root = cgroups.MountPoint;
        string relative = cgroup.StartsWith(root + "/", StringComparison.Ordinal) ? cgroup[root.Length..] : cgroup;
        return registry.List().Find(c => c.CgroupPath == relative.TrimEnd('/'));
    }

    /// <summary>A container id or unique prefix, "namespace/pod" or "namespace/pod/container".</summary>
    public List<RecordedContainer> ByName(string name)
    {
        string[] parts = name.Split('/');
        return parts.Length switch
        {
            2 => ByPod(parts[0], parts[1], null),
            3 => ByPod(parts[0], parts[1], parts[2]),
            _ => registry.Find(name) is { Ambiguous: false, Container: { } c } ? [c] : [],
        };
    }

    /// <summary>The container's Kubernetes names, as far as they are known.</summary>
    public KubernetesIdentity? Names(RecordedContainer c) => names.Of(c);

    /// <summary>The container's cgroup directory on this host.</summary>
    public string Directory(RecordedContainer c) => cgroups.ToDirectory(c.CgroupPath);
}
