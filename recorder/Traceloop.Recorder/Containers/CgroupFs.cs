using System.Globalization;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// The cgroup hierarchy containers are told apart by: cgroup v2 wherever it is mounted
/// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts), or on a v1-only host one
/// controller's v1 hierarchy. Knows where it is mounted and which cgroups exist in it.
/// </summary>
internal sealed class CgroupFs
{
    /// <summary>The v1 controllers tried, in order, when no cgroup v2 hierarchy is mounted: every runtime puts containers in these.</summary>
    private static readonly string[] V1Preference = ["memory", "pids", "cpu"];

    /// <summary>Every hierarchy's root cgroup has kernfs id 1, so its directory has inode 1.</summary>
    private const ulong RootCgroupId = 1;

    private CgroupFs(string mountPoint, string? controller, int subsysIndex, int hierarchyId, int namespaceDepth = 0)
    {
        MountPoint = mountPoint;
        Controller = controller;
        SubsysIndex = subsysIndex;
        HierarchyId = hierarchyId;
        NamespaceDepth = namespaceDepth;
    }

    public string MountPoint { get; }

    /// <summary>Null for cgroup v2; the v1 controller ("memory") otherwise.</summary>
    public string? Controller { get; }

    public bool IsV2 => Controller is null;

    /// <summary>For v1: the controller's subsystem index in the kernel (its line in /proc/cgroups).</summary>
    public int SubsysIndex { get; }

    /// <summary>The kernel's id of the hierarchy (0 for v2).</summary>
    public int HierarchyId { get; }

    /// <summary>
    /// How far below the hierarchy's root this process's cgroup namespace root is: 0 in the
    /// host's cgroup namespace. A pod gets a private cgroup namespace on cgroup v2 unless it is
    /// privileged (containerd, CRI-O), and then /proc/PID/cgroup paths are relative to it.
    /// </summary>
    public int NamespaceDepth { get; }

    public override string ToString() => IsV2 ? $"cgroup v2 at {MountPoint}" : $"cgroup v1 {Controller} hierarchy at {MountPoint}";

    /// <summary>
    /// Finds the hierarchy: <paramref name="choice"/> is "auto" (v2 if mounted, else a v1
    /// controller), "unified" (v2 only), or a v1 controller name.
    /// </summary>
    public static CgroupFs Locate(string choice = "auto", string mountInfoPath = "/proc/self/mountinfo", string procCgroupsPath = "/proc/cgroups")
    {
        List<(string Type, string MountPoint, string[] Options, int Depth)> mounts = ParseMounts(mountInfoPath);
        if (choice is "auto" or "unified")
        {
            foreach ((string type, string mountPoint, _, int depth) in mounts)
            {
                if (type == "cgroup2")
                {
                    return new CgroupFs(mountPoint, null, -1, 0, depth);
                }
            }
            if (choice == "unified")
            {
                throw new InvalidOperationException("no cgroup v2 hierarchy is mounted (--cgroup-hierarchy unified): mount one (mount -t cgroup2 none /sys/fs/cgroup/unified) or use auto");
            }
        }
        string[] wanted = choice == "auto" ? V1Preference : [choice];
        Dictionary<string, (int Index, int Hierarchy)> subsystems = ParseProcCgroups(procCgroupsPath);
        foreach (string controller in wanted)
        {
            foreach ((string type, string mountPoint, string[] options, int depth) in mounts)
            {
                if (type == "cgroup" && options.Contains(controller) && subsystems.TryGetValue(controller, out var s) && s.Hierarchy > 0)
                {
                    return new CgroupFs(mountPoint, controller, s.Index, s.Hierarchy, depth);
                }
            }
        }
        throw new InvalidOperationException(choice == "auto"
            ? "no cgroup hierarchy to tell containers apart: neither cgroup v2 nor a v1 memory, pids or cpu hierarchy is mounted"
            : $"the cgroup v1 controller '{choice}' is not mounted (see /proc/cgroups and /proc/self/mountinfo)");
    }

    public static CgroupFs At(string mountPoint) => new(mountPoint, null, -1, 0);

    /// <summary>The id of a cgroup: the inode number of its directory, which is its kernfs id.</summary>
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

    /// <summary>The cgroup a process is in, in this hierarchy (from /proc/PID/cgroup), as a path from the root.</summary>
    public string? CgroupOfProcess(string pid = "self")
    {
        string? path = null;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/cgroup"))
            {
                // "0::/path" for v2, "4:memory:/path" (or "2:cpu,cpuacct:/path") for v1.
                string[] parts = line.Split(':', 3);
                if (parts.Length == 3 && (IsV2 ? parts[0] == "0" && parts[1].Length == 0 : parts[1].Split(',').Contains(Controller)))
                {
                    path = parts[2];
                    break;
                }
            }
        }
        catch (IOException)
        {
        }
        return path is null || NamespaceDepth == 0 ? path : FindByMember(pid == "self" ? Environment.ProcessId.ToString(CultureInfo.InvariantCulture) : pid, path);
    }

    /// <summary>
    /// In a cgroup namespace the kernel shows paths from the namespace's root, which is not
    /// named anywhere: the process's cgroup is the one at the right depth that lists it.
    /// </summary>
    private string? FindByMember(string pid, string relativePath)
    {
        int depth = NamespaceDepth + Depth(relativePath);
        foreach (string candidate in Walk())
        {
            if (Depth(candidate) != depth || !candidate.EndsWith(relativePath.TrimEnd('/'), StringComparison.Ordinal))
            {
                continue;
            }
            try
            {
                if (File.ReadLines(Path.Join(ToDirectory(candidate), "cgroup.procs")).Contains(pid))
                {
                    return candidate;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return null;
    }

    private static int Depth(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;

    private static List<(string Type, string MountPoint, string[] Options, int Depth)> ParseMounts(string path)
    {
        var mounts = new List<(string, string, string[], int)>();
        foreach (string line in File.ReadLines(path))
        {
            // "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory"
            int dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0)
            {
                continue;
            }
            string[] before = line[..dash].Split(' ');
            string[] after = line[(dash + 3)..].Split(' ');
            // Only mounts of a hierarchy's root: a container's view (root "/kubepods/...") would mislead.
            if (before.Length > 4 && after.Length >= 3 && after[0] is "cgroup" or "cgroup2"
                && ViewDepthOfRoot(before[3], Unescape(before[4])) is int depth)
            {
                mounts.Add((after[0], Unescape(before[4]), after[2].Split(','), depth));
            }
        }
        return mounts;
    }

    /// <summary>
    /// 0 for a mount of the hierarchy's root seen from the host's cgroup namespace ("/"). From
    /// inside a cgroup namespace the kernel shows a mount above the namespace's root as "/.."
    /// once per level: the hierarchy's root (a host path mounted into a pod) when the directory
    /// is the root cgroup, else a subtree. Null for anything else.
    /// </summary>
    private static int? ViewDepthOfRoot(string root, string mountPoint)
    {
        if (root == "/")
        {
            return 0;
        }
        string[] segments = root.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || segments.Any(s => s != ".."))
        {
            return null;
        }
        try
        {
            return CgroupId.Of(mountPoint) == RootCgroupId ? segments.Length : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static Dictionary<string, (int Index, int Hierarchy)> ParseProcCgroups(string path)
    {
        var result = new Dictionary<string, (int, int)>();
        if (!File.Exists(path))
        {
            return result;
        }
        int index = 0;
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }
            // Lines come in subsystem-id order: the line number is the index into css_set.subsys[].
            string[] f = line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int hierarchy))
            {
                result[f[0]] = (index, hierarchy);
            }
            index++;
        }
        return result;
    }

    private static string Unescape(string s) =>
        s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
         .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
