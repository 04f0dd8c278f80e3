namespace Traceloop.FunctionalTests.Containers;

/// <summary>What to run in a <see cref="RuncContainer"/>, and where in the kubelet's cgroup tree.</summary>
public sealed record ContainerSpec
{
    public required IReadOnlyList<string> Args { get; init; }

    /// <summary>Default: 64 random lowercase hex characters, the shape of a containerd id.</summary>
    public string? Id { get; init; }

    /// <summary>Default: a random GUID. Containers given the same uid share the pod's cgroup level.</summary>
    public string? PodUid { get; init; }

    /// <summary>besteffort, burstable or guaranteed: picks the kubelet's QoS level of the cgroup path.</summary>
    public string QosClass { get; init; } = "besteffort";

    /// <summary>linux.resources.memory.limit, with swap disabled so the OOM killer acts at the limit.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Added to PATH and HOME, overriding them when named the same.</summary>
    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>false: a network namespace of its own with only loopback. true: the host's network namespace.</summary>
    public bool Network { get; init; }

    /// <summary>Host paths bind-mounted read-only into the container (host path, container path); each mount point must exist in the rootfs.</summary>
    public IReadOnlyList<(string HostPath, string ContainerPath)>? ReadOnlyBinds { get; init; }

    /// <summary>Default: <see cref="BusyboxRootfs.Shared"/>.</summary>
    public BusyboxRootfs? Rootfs { get; init; }
}
