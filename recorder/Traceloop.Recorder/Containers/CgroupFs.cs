namespace Traceloop.Recorder.Containers;

/// <summary>The host's cgroup v2 hierarchy: where it is mounted, and which cgroups exist in it.</summary>
internal sealed class CgroupFs
{
    private CgroupFs(string mountPoint)
    {
        MountPoint = mountPoint;
    }

    /// <summary>Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts).</summary>
    public string MountPoint { get; }

    /// <summary>Finds the cgroup v2 mount in /proc/self/mountinfo.</summary>
    public static CgroupFs Locate(string mountInfoPath = "/proc/self/mountinfo")
    {
        string? found = null;
        foreach (string line in File.ReadLines(mountInfoPath))
        {
            // "36 25 0:31 / /sys/fs/cgroup rw,... shared:9 - cgroup2 cgroup2 rw,..."
            int dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0)
            {
                continue;
            }
            string[] after = line[(dash + 3)..].Split(' ');
            string[] before = line[..dash].Split(' ');
            if (after.Length > 0 && after[0] == "cgroup2" && before.Length > 4 && before[3] == "/")
            {
                found ??= UnescapeMountPath(before[4]);
            }
        }
        return found is null
            ? throw new InvalidOperationException(
                "no cgroup v2 hierarchy is mounted: Traceloop tells containers apart by their cgroup v2 id. " +
                "Use a cgroup v2 host, or a hybrid one with cgroup2 mounted at /sys/fs/cgroup/unified (mount -t cgroup2 none /sys/fs/cgroup/unified)")
            : new CgroupFs(found);
    }

    public static CgroupFs At(string mountPoint) => new(mountPoint);

    /// <summary>The cgroup v2 id of a path: the inode number of its directory, as bpf_get_current_cgroup_id reports it.</summary>
    public ulong IdOf(string cgroupPath) => CgroupId.Of(ToDirectory(cgroupPath));

    public string ToDirectory(string cgroupPath) => Path.Join(MountPoint, cgroupPath);

    /// <summary>Every cgroup under the root, depth first, as paths relative to the root ("/kubepods/...").</summary>
    public IEnumerable<string> Walk()
    {
        var pending = new Stack<string>();
        pending.Push(MountPoint);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            IEnumerable<string> children;
            try
            {
                children = Directory.EnumerateDirectories(dir);
            }
            catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or IOException)
            {
                continue; // removed while we walked
            }
            foreach (string child in children)
            {
                pending.Push(child);
                yield return "/" + Path.GetRelativePath(MountPoint, child);
            }
        }
    }

    /// <summary>The v2 cgroup a process is in ("0::/path" in /proc/PID/cgroup).</summary>
    public static string? CgroupOfProcess(string pid = "self")
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/cgroup"))
            {
                if (line.StartsWith("0::", StringComparison.Ordinal))
                {
                    return line[3..];
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static string UnescapeMountPath(string s) =>
        s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
         .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
