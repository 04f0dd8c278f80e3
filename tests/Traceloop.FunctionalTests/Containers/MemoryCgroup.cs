using System.Globalization;

namespace Traceloop.FunctionalTests.Containers;

/// <summary>
/// A fresh memory cgroup with a hard limit, as the kubelet gives a pod's container: on cgroup v2
/// when the memory controller is there (<c>memory.max</c>, <c>memory.peak</c>,
/// <c>memory.events</c>), else in the v1 memory hierarchy, where hybrid hosts keep it
/// (<c>memory.limit_in_bytes</c>, <c>memory.max_usage_in_bytes</c>, <c>memory.oom_control</c>).
/// Both charge kernel memory (BPF maps included) to the cgroup of the process that allocates it.
/// </summary>
internal sealed class MemoryCgroup : IDisposable
{
    private MemoryCgroup(string directory, bool isV2)
    {
        Path = directory;
        IsV2 = isV2;
    }

    public string Path { get; }

    public bool IsV2 { get; }

    /// <summary>Makes the cgroup (named so that no recorder takes it for a container) with <paramref name="limitBytes"/> as its hard limit.</summary>
    public static MemoryCgroup Create(string name, long limitBytes)
    {
        string v2 = Traceloop.Recorder.Containers.CgroupFs.Locate("unified").MountPoint;
        bool isV2 = File.ReadAllText(System.IO.Path.Join(v2, "cgroup.controllers")).Split(' ', '\n').Contains("memory");
        string root = isV2 ? v2 : Traceloop.Recorder.Containers.CgroupFs.Locate("memory").MountPoint;
        var cgroup = new MemoryCgroup(System.IO.Path.Join(root, name), isV2);
        Directory.CreateDirectory(cgroup.Path);
        try
        {
            File.WriteAllText(cgroup.PathOf(isV2 ? "memory.max" : "memory.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
        }
        catch
        {
            cgroup.Dispose();
            throw;
        }
        return cgroup;
    }

    /// <summary>A command that moves itself into this cgroup and then execs the rest of its arguments.</summary>
    public IReadOnlyList<string> Launcher => ["/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", PathOf("cgroup.procs")];

    public long Limit => ReadNumber(IsV2 ? "memory.max" : "memory.limit_in_bytes");

    /// <summary>The most the cgroup was charged at once since it was made.</summary>
    public long Peak => ReadNumber(IsV2 ? "memory.peak" : "memory.max_usage_in_bytes");

    public long Current => ReadNumber(IsV2 ? "memory.current" : "memory.usage_in_bytes");

    /// <summary>Processes of the cgroup the OOM killer killed.</summary>
    public long OomKills => ReadKey(IsV2 ? "memory.events" : "memory.oom_control", "oom_kill");

    /// <summary>Times the cgroup reached its limit (v2 <c>max</c> events, v1 <c>failcnt</c>): reclaim ran, not necessarily an OOM.</summary>
    public long LimitHits => IsV2 ? ReadKey("memory.events", "max") : ReadNumber("memory.failcnt");

    /// <summary>Kernel memory charged now (v1 only, where the kernel reports it apart; -1 on v2).</summary>
    public long KernelMemory => !IsV2 && File.Exists(PathOf("memory.kmem.usage_in_bytes")) ? ReadNumber("memory.kmem.usage_in_bytes") : -1;

    public void Dispose()
    {
        // Empty once its processes exited; a dying task may hold it for a moment.
        for (int attempt = 0; attempt < 50 && Directory.Exists(Path); attempt++)
        {
            try
            {
                Directory.Delete(Path);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private string PathOf(string name) => System.IO.Path.Join(Path, name);

    private long ReadNumber(string name) => long.Parse(File.ReadAllText(PathOf(name)).Trim(), CultureInfo.InvariantCulture);

    private long ReadKey(string name, string key)
    {
        foreach (string line in File.ReadLines(PathOf(name)))
        {
            string[] f = line.Split(' ');
            if (f.Length == 2 && f[0] == key)
            {
                return long.Parse(f[1], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"{PathOf(name)} has no '{key}' line");
    }
}
