using System.Text;
using System.Text.Json;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>The rings a recorder pinned under its pin directory, read whole with bpftool: what the kernel wrote, before any decoding.</summary>
internal static class PinnedRings
{
    /// <summary>Every pinned ring's whole value (header, sub-rings and overhangs).</summary>
    public static byte[][] All(string pinDir) =>
        [.. Directory.EnumerateFiles(Path.Join(pinDir, "state", "rings")).Select(Bytes)];

    /// <summary>A pinned ring's whole value.</summary>
    public static byte[] Bytes(string pin)
    {
        using JsonDocument dump = JsonDocument.Parse(KernelMaps.Run("bpftool", "-j", "map", "dump", "pinned", pin));
        return [.. dump.RootElement[0].GetProperty("value").EnumerateArray().Select(b => Convert.ToByte(b.GetString(), 16))];
    }

    public static bool Holds(byte[] ring, string text) => ring.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;
}
