using System.Diagnostics;
using System.Text.Json;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>The BPF maps of one recorder process, read with bpftool.</summary>
internal sealed class KernelMaps
{
    private readonly int _containers;
    private readonly int _excluded;
    private readonly int _levels;

    private KernelMaps(int containers, int excluded, int levels)
    {
        _containers = containers;
        _excluded = excluded;
        _levels = levels;
    }

    /// <summary>
    /// Finds the maps by the process's own file descriptors: each BPF map fd's fdinfo names
    /// its map_id (bpftool's pid column needs a build this machine's lacks).
    /// </summary>
    public static KernelMaps Of(int pid)
    {
        var names = new Dictionary<string, int>();
        foreach (string fdinfo in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            string? mapId;
            try
            {
                mapId = File.ReadLines(fdinfo).FirstOrDefault(l => l.StartsWith("map_id:", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                continue; // a descriptor the recorder closed meanwhile (a ring it mapped for a moment)
            }
            if (mapId is null)
            {
                continue;
            }
            string id = mapId["map_id:".Length..].Trim();
            using JsonDocument map = JsonDocument.Parse(Run("bpftool", "-j", "map", "show", "id", id));
            names[map.RootElement.GetProperty("name").GetString()!] = int.Parse(id, System.Globalization.CultureInfo.InvariantCulture);
        }
        return new KernelMaps(names["containers"], names["excluded_pods"], names["capture_levels"]);
    }

    public HashSet<ulong> ContainerKeys() => [.. Keys(_containers).Select(k => BitConverter.ToUInt64(k))];

    public HashSet<string> ExcludedPodNames() => [.. Keys(_excluded).Select(k => System.Text.Encoding.ASCII.GetString(k).TrimEnd('\0'))];

    /// <summary>The pod cgroup names the capture_levels map has a level for ("" is the default).</summary>
    public HashSet<string> CaptureLevelNames() => [.. Keys(_levels).Select(k => System.Text.Encoding.ASCII.GetString(k).TrimEnd('\0'))];

    private static IEnumerable<byte[]> Keys(int mapId)
    {
        using JsonDocument dump = JsonDocument.Parse(Run("bpftool", "-j", "map", "dump", "id", mapId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (JsonElement entry in dump.RootElement.EnumerateArray())
        {
            yield return [.. entry.GetProperty("key").EnumerateArray().Select(b => Convert.ToByte(b.GetString(), 16))];
        }
    }

    /// <summary>
    /// Rewrites the record format a pinned state claims (the first word of its meta map's value),
    /// as a recorder of another format would have left it.
    /// </summary>
    public static void SetPinnedFormatVersion(string pinDir, uint version)
    {
        string meta = Path.Join(pinDir, "state", "maps", "meta");
        using JsonDocument found = JsonDocument.Parse(Run("bpftool", "-j", "map", "lookup", "pinned", meta, "key", "0", "0", "0", "0"));
        byte[] value = [.. found.RootElement.GetProperty("value").EnumerateArray().Select(b => Convert.ToByte(b.GetString(), 16))];
        BitConverter.TryWriteBytes(value.AsSpan(0, 4), version);
        Run("bpftool", ["map", "update", "pinned", meta, "key", "0", "0", "0", "0", "value", .. value.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }

    /// <summary>The id of the program a pinned link attaches.</summary>
    public static int PinnedLinkProgram(string linkPath)
    {
        using JsonDocument link = JsonDocument.Parse(Run("bpftool", "-j", "link", "show", "pinned", linkPath));
        return link.RootElement.GetProperty("prog_id").GetInt32();
    }

    /// <summary>True while the kernel still holds the program (something attaches or references it).</summary>
    public static bool ProgramLoaded(int id)
    {
        var psi = new ProcessStartInfo("bpftool", ["prog", "show", "id", id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    /// <summary>Runs a tool to its end; fails the test with its stderr when it fails.</summary>
    internal static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {p.StandardError.ReadToEnd()}");
        return output;
    }
}
