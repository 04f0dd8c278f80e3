using System.Diagnostics;

namespace Traceloop.Tests.Kubernetes;

/// <summary>Changing a watched configuration file and waiting for its reload, in the reload tests.</summary>
internal static class ConfigFileReload
{
    // A wait for an event, not a timing assertion: generous, for a loaded CI machine.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Replaces the file whole, as the kubelet updates a mounted ConfigMap. Written in place, the file
    /// is truncated first, and a reload that read it in between could take the half-written file
    /// and miss the write that completed it (the watcher's token is renewed only after the reload).
    /// </summary>
    public static async Task ReplaceAsync(string file, string text)
    {
        string staged = file + ".next";
        await File.WriteAllTextAsync(staged, text);
        File.Move(staged, file, overwrite: true);
    }

    public static async Task Until(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Timeout, "The configuration reload did not arrive in time.");
            await Task.Delay(20);
        }
    }
}
