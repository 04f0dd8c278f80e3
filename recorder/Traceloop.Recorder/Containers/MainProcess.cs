using System.Globalization;

namespace Traceloop.Recorder.Containers;

/// <summary>Finds a running container's main process from its cgroup: the one that is pid 1 of its pid namespace.</summary>
internal static class MainProcess
{
    public static int? Find(string cgroupDirectory)
    {
        List<int> pids = [];
        try
        {
            foreach (string line in File.ReadLines(Path.Join(cgroupDirectory, "cgroup.procs")))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    pids.Add(pid);
                }
            }
        }
        catch (IOException)
        {
            return null;
        }
        foreach (int pid in pids)
        {
            if (IsNamespaceInit(pid))
            {
                return pid;
            }
        }
        // A container sharing the host's pid namespace has no pid 1: take its oldest process.
        return pids.Count > 0 ? pids.Min() : null;
    }

    /// <summary>Whether a host pid names a live process (or a zombie not yet reaped).</summary>
    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    private static bool IsNamespaceInit(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("NSpid:", StringComparison.Ordinal))
                {
                    string[] ids = line[6..].Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
                    return ids.Length > 1 && ids[^1] == "1";
                }
            }
        }
        catch (IOException)
        {
        }
        return false;
    }
}
