using System.Globalization;
using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>
/// A cgroup named like a runtime's container cgroup, made in every hierarchy under a parent of its
/// own, so that the recorder adopts it whichever hierarchy it keys containers by; processes of the
/// host are moved into it by pid. Removed on disposal, with its parent.
/// </summary>
internal sealed class RecordedCgroup : IDisposable
{
    private readonly IReadOnlyList<string> _parents;

    private RecordedCgroup(IReadOnlyList<string> parents, string id)
    {
        _parents = parents;
        Id = id;
    }

    /// <summary>The container id: 64 hex digits, the cgroup's name.</summary>
    public string Id { get; }

    /// <summary>Makes the cgroup and waits until <paramref name="recorder"/> lists it.</summary>
    public static async Task<RecordedCgroup> CreateAsync(RecorderProcess recorder, string parentPrefix, CancellationToken ct)
    {
        string id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var cgroup = new RecordedCgroup(KubeletCgroups.Directories($"/{parentPrefix}-{Guid.NewGuid().ToString("N")[..12]}"), id);
        try
        {
            foreach (string dir in cgroup._parents)
            {
                Directory.CreateDirectory(Path.Join(dir, id));
            }
            await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(ct)).Exists(c => c.Id == id),
                TimeSpan.FromSeconds(20), "the recorder to adopt the cgroup");
            return cgroup;
        }
        catch
        {
            cgroup.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="pid"/> into the cgroup's cgroup.procs in every hierarchy.</summary>
    public void Move(int pid)
    {
        // Not into a v1 cpuset cgroup: it takes no task until its cpus and mems are set, and the
        // recorder never keys containers by it.
        foreach (string dir in _parents.Where(d => !d.Contains("/cpuset/", StringComparison.Ordinal)))
        {
            File.WriteAllText(Path.Join(dir, Id, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture) + "\n");
        }
    }

    public void Dispose()
    {
        foreach (string dir in _parents)
        {
            TryRemove(Path.Join(dir, Id));
            TryRemove(dir);
        }
    }

    private static void TryRemove(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: false);
        }
        catch (IOException)
        {
            // Already gone, or its last task is still being reaped: the next run uses other names.
        }
    }
}
