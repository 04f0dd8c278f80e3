using System.Globalization;
using System.Security.Cryptography;
using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>
/// A cgroup named like a runtime's container cgroup, made in every hierarchy under a parent of its
/// own, so that the recorder adopts it whichever hierarchy it keys containers by; processes of the
/// host join it by pid. Removed on disposal, with its parent.
/// </summary>
internal sealed class RecordedCgroup : IDisposable
{
    private readonly string _parentPath;

    private RecordedCgroup(string parentPath, string id)
    {
        _parentPath = parentPath;
        Id = id;
    }

    /// <summary>The container id: 64 hex digits, the cgroup's name.</summary>
    public string Id { get; }

    private string CgroupPath => $"{_parentPath}/{Id}";

    /// <summary>Its cgroup.procs in every hierarchy.</summary>
    public IEnumerable<string> ProcsFiles => KubeletCgroups.Directories(CgroupPath).Select(d => Path.Join(d, "cgroup.procs"));

    /// <summary>Makes the cgroup and waits until <paramref name="recorder"/> lists it.</summary>
    public static async Task<RecordedCgroup> CreateAsync(RecorderProcess recorder, string parentPrefix, CancellationToken ct)
    {
        RecordedCgroup cgroup = Create(parentPrefix);
        try
        {
            await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(ct)).Exists(c => c.Id == cgroup.Id),
                TimeSpan.FromSeconds(20), "the recorder to adopt the cgroup");
            return cgroup;
        }
        catch
        {
            cgroup.Dispose();
            throw;
        }
    }

    /// <summary>Makes the cgroup; programs loaded by the test itself adopt it at once.</summary>
    public static RecordedCgroup Create(string parentPrefix)
    {
        var cgroup = new RecordedCgroup($"/{parentPrefix}-{Guid.NewGuid().ToString("N")[..12]}", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        try
        {
            foreach (string dir in KubeletCgroups.Directories(cgroup.CgroupPath))
            {
                Directory.CreateDirectory(dir);
            }
            return cgroup;
        }
        catch
        {
            cgroup.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="pid"/> into the cgroup's cgroup.procs in every hierarchy; a
    /// <paramref name="realTime"/> task, one with a real-time policy, not into a v1 cpu cgroup.
    /// </summary>
    public void Move(int pid, bool realTime = false)
    {
        // Not into a v1 cpuset cgroup: it takes no task until its cpus and mems are set, and the
        // recorder never keys containers by it. With real-time group scheduling a v1 cpu cgroup
        // takes no real-time task until it has a real-time budget of its own, and the recorder
        // keys containers by that hierarchy only when neither memory nor pids is mounted.
        foreach (string procs in ProcsFiles.Where(f => !f.Contains("/cpuset/", StringComparison.Ordinal)
            && !(realTime && (f.Contains("/cpu/", StringComparison.Ordinal) || f.Contains("/cpu,cpuacct/", StringComparison.Ordinal)))))
        {
            File.WriteAllText(procs, pid.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    /// <summary>Removes the cgroup and its parent where they are empty; a task still being reaped can keep one, under names no other run uses.</summary>
    public void Dispose() => KubeletCgroups.Remove(CgroupPath, _parentPath);
}
