using System.Text.RegularExpressions;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// Reads container ids and pod uids out of cgroup paths, for every layout the runtimes and
/// kubelet use:
/// <list type="bullet">
/// <item>cgroupfs driver: <c>/kubepods/besteffort/pod&lt;uid&gt;/&lt;id&gt;</c>, <c>/docker/&lt;id&gt;</c></item>
/// <item>systemd driver: <c>/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod&lt;uid_with_underscores&gt;.slice/cri-containerd-&lt;id&gt;.scope</c>,
/// <c>/system.slice/docker-&lt;id&gt;.scope</c>, <c>crio-&lt;id&gt;.scope</c>, <c>libpod-&lt;id&gt;.scope</c></item>
/// </list>
/// The kernel program applies the same test to a new cgroup's name (a run of 64 hex digits);
/// keep the two in step.
/// </summary>
internal static partial class CgroupNaming
{
    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex ContainerIdPattern();

    // "pod" + uid, with dashes (cgroupfs) or underscores (systemd), as its own path element
    // or as the tail of a systemd slice name.
    [GeneratedRegex("pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\\.slice)?$")]
    private static partial Regex PodUidPattern();

    /// <summary>True when the last element of the path names a container, as the kernel decides.</summary>
    public static bool LooksLikeContainer(string name) => ContainerIdPattern().IsMatch(KernelView(LastElement(name)));

    public static bool TryParse(string cgroupPath, out ContainerIdentity identity)
    {
        string leaf = KernelView(LastElement(cgroupPath));
        Match id = ContainerIdPattern().Match(leaf);
        if (!id.Success)
        {
            identity = null!;
            return false;
        }
        identity = new ContainerIdentity(id.Value, FindPodUid(cgroupPath), RuntimeOf(leaf, cgroupPath));
        return true;
    }

    private static string? FindPodUid(string path)
    {
        foreach (string element in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            Match m = PodUidPattern().Match(element);
            if (m.Success)
            {
                return m.Groups[1].Value.Replace('_', '-');
            }
        }
        return null;
    }

    private static string RuntimeOf(string leaf, string path) => leaf switch
    {
        _ when leaf.StartsWith("cri-containerd-", StringComparison.Ordinal) => "containerd",
        _ when leaf.StartsWith("crio-", StringComparison.Ordinal) => "cri-o",
        _ when leaf.StartsWith("docker-", StringComparison.Ordinal) => "docker",
        _ when leaf.StartsWith("libpod-", StringComparison.Ordinal) => "podman",
        _ when path.StartsWith("/docker/", StringComparison.Ordinal) => "docker",
        _ when path.Contains("/kubepods", StringComparison.Ordinal) => "cri",
        _ => "runc",
    };

    /// <summary>The kernel examines only the first TL_NAME_LEN - 1 (127) bytes of a cgroup's name: so do we.</summary>
    private static string KernelView(string leaf) => leaf.Length > 127 ? leaf[..127] : leaf;

    private static string LastElement(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? path : path[(slash + 1)..];
    }
}
