namespace Traceloop.FunctionalTests.Containers;

/// <summary>Cgroup paths as the kubelet's cgroupfs driver lays them out, and their directories on this host.</summary>
internal static class KubeletCgroups
{
    /// <summary>Guaranteed pods sit directly under /kubepods; the other QoS classes have a level of their own.</summary>
    public static string PodPath(string qosClass, string podUid) => qosClass switch
    {
        "guaranteed" => $"/kubepods/pod{podUid}",
        "burstable" or "besteffort" => $"/kubepods/{qosClass}/pod{podUid}",
        _ => throw new ArgumentException($"unknown QoS class '{qosClass}': use guaranteed, burstable or besteffort", nameof(qosClass)),
    };

    /// <summary>
    /// The directories of <paramref name="cgroupPath"/> in every mounted hierarchy: each v1 controller (and named
    /// hierarchy such as name=systemd) and the unified one, wherever it is mounted (pure v2 or hybrid).
    /// Assumes the hierarchies are mounted at their root, as on a host and not inside a container.
    /// </summary>
    public static IReadOnlyList<string> Directories(string cgroupPath) =>
        HierarchyMounts().Select(mount => mount + cgroupPath).ToArray();

    /// <summary>
    /// Removes the container's leaf (runc normally has already) and then the pod level, which runc created on the way
    /// but never removes. The pod level stays when another container of the same pod still lives in it.
    /// QoS levels are shared by concurrent tests and stay, as they do under a kubelet.
    /// </summary>
    public static IReadOnlyList<string> Remove(string cgroupPath, string podPath)
    {
        var leftovers = new List<string>();
        foreach (string mount in HierarchyMounts())
        {
            if (!TryRemoveDirectory(mount + cgroupPath))
            {
                leftovers.Add(mount + cgroupPath);
            }
            TryRemoveDirectory(mount + podPath);
        }
        return leftovers;
    }

    private static bool TryRemoveDirectory(string path)
    {
        try
        {
            // Cgroup directories are removed with rmdir alone: their control files cannot be unlinked.
            Directory.Delete(path, recursive: false);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true;
        }
        catch (IOException)
        {
            // EBUSY or ENOTEMPTY: a live process or a child cgroup still uses it.
            return false;
        }
    }

    private static IEnumerable<string> HierarchyMounts()
    {
        // mountinfo: "id parent major:minor root mount-point options [optional fields...] - fstype source super-options"
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (separator > 0 && fields[separator + 1] is "cgroup" or "cgroup2")
            {
                yield return fields[4];
            }
        }
    }
}
