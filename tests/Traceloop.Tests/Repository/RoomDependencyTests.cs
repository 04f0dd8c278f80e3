using System.Text.RegularExpressions;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.Tests.Repository;

/// <summary>
/// The recorder's rooms follow the data path one way: the kernel ABI and libbpf at the bottom,
/// then records, decoding and containers, then Kubernetes names, dumps, the store and crash
/// collection, the HTTP API, and Hosting, the composition root, on top. A room may use the rooms
/// below it and none above; this reads every file's usings and qualified names to hold that.
/// </summary>
public sealed partial class RoomDependencyTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Interop"] = [],
        ["Bpf"] = ["Interop"],
        ["Records"] = ["Bpf", "Interop"],
        ["Decoding"] = ["Records", "Bpf", "Interop"],
        ["Containers"] = ["Records", "Bpf", "Interop"],
        ["Kubernetes"] = ["Containers", "Records", "Bpf", "Interop"],
        ["Store"] = ["Interop"],
        ["Tls"] = ["Containers", "Records", "Bpf", "Interop"],
        ["Dumps"] = ["Kubernetes", "Containers", "Decoding", "Records", "Bpf", "Interop"],
        ["Crashes"] = ["Dumps", "Store", "Kubernetes", "Containers", "Decoding", "Records", "Bpf", "Interop"],
        ["Metrics"] = ["Tls", "Crashes", "Dumps", "Store", "Kubernetes", "Containers", "Decoding", "Records", "Bpf", "Interop"],
        ["Http"] = ["Tls", "Metrics", "Crashes", "Dumps", "Store", "Kubernetes", "Containers", "Decoding", "Records", "Bpf", "Interop"],
        ["Hosting"] = ["Tls", "Http", "Metrics", "Crashes", "Dumps", "Store", "Kubernetes", "Containers", "Decoding", "Records", "Bpf", "Interop"],
    };

    [GeneratedRegex(@"Traceloop\.Recorder\.([A-Z][A-Za-z]+)")]
    private static partial Regex Qualified();

    [Fact]
    public void EveryRoomIsInTheTable()
    {
        string recorder = Path.Join(RenderedManifests.RepoRoot(), "recorder", "Traceloop.Recorder");
        string[] rooms = [.. Directory.GetDirectories(recorder).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj"))!];

        Assert.Equal(Allowed.Keys.Order(), rooms.Order());
    }

    [Fact]
    public void NoRoomUsesARoomAboveIt()
    {
        string recorder = Path.Join(RenderedManifests.RepoRoot(), "recorder", "Traceloop.Recorder");
        var wrong = new List<string>();
        foreach ((string room, string[] allowed) in Allowed)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Join(recorder, room), "*.cs", SearchOption.AllDirectories))
            {
                string text = File.ReadAllText(file);
                foreach (Match m in Qualified().Matches(text))
                {
                    string used = m.Groups[1].Value;
                    if (used != room && Allowed.ContainsKey(used) && !allowed.Contains(used))
                    {
                        wrong.Add($"{Path.GetRelativePath(recorder, file)} uses {used}");
                    }
                }
                // Names qualified by the room alone inside the recorder's namespace (Hosting.RecorderOptions).
                foreach (string other in Allowed.Keys.Where(r => r != room && !allowed.Contains(r) && r != "Interop"))
                {
                    // A property of the room's name declared in the file (PodWatcher.Metrics) is that property, not the room.
                    bool ownMember = Regex.IsMatch(text, $@"\s{other} {{ get");
                    if (!ownMember && Regex.IsMatch(text, $@"(?<![\w.]){other}\.[A-Z]"))
                    {
                        wrong.Add($"{Path.GetRelativePath(recorder, file)} uses {other}");
                    }
                }
            }
        }

        Assert.True(wrong.Count == 0, "rooms reaching up: " + string.Join("; ", wrong.Distinct()));
    }
}
