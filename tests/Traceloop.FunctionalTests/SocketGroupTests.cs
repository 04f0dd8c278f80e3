using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>The API socket's group, set from a numeric gid (a host group, seen from a container) or a name.</summary>
public sealed class SocketGroupTests
{
    [Fact]
    public async Task ANumericGid_OwnsTheSocket_AndAnUnknownNameLeavesItRootOnly_SayingWhy()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using (RecorderProcess numeric = await RecorderProcess.StartAsync(["--socket-group", "4242"], cts.Token))
        {
            await Eventually.TrueAsync(() => Task.FromResult(Gid(numeric.SocketPath) == 4242), TimeSpan.FromSeconds(10), "the socket's group to be 4242");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
                File.GetUnixFileMode(numeric.SocketPath));
        }
        await using RecorderProcess named = await RecorderProcess.StartAsync(["--socket-group", "no-such-group-here"], cts.Token);
        await Eventually.TrueAsync(() => Task.FromResult(named.Output.Contains("The socket stays root-only: there is no group no-such-group-here in /etc/group", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "the unknown group to be logged");
        Assert.Equal(0, Gid(named.SocketPath));
    }

    private static int Gid(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%g", path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
