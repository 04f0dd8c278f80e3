using System.Net.Sockets;
using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.Cli;

/// <summary>The two ways a socket fails, as a user of the built binary meets them: one sentence, exit 2, no stack.</summary>
public sealed class CliSocketErrorTests
{
    [Fact]
    public async Task AMissingSocket_AsksWhetherTheRecorderRuns()
    {
        string socket = Path.Join(Path.GetTempPath(), $"traceloop-missing-{Guid.NewGuid():N}.sock");
        CliProcess.Result ls = await CliProcess.RunAsync(["ls", "--socket", socket]);
        Assert.Equal(2, ls.ExitCode);
        Assert.Equal($"error: cannot connect to {socket}: is the recorder running?\n", ls.Stderr);
        CliProcess.Result api = await CliProcess.RunAsync(["api", "--socket", socket, "GET", "/containers"]);
        Assert.Equal(2, api.ExitCode);
        Assert.Equal($"cannot connect to {socket}: is the recorder running?\n", api.Stderr);
    }

    [Fact]
    public async Task ASocketWithoutPermission_SaysHowToGetAccess()
    {
        RootRequirement.Ensure();
        string dir = Directory.CreateTempSubdirectory("traceloop-cli-").FullName;
        try
        {
            string socket = Path.Join(dir, "traceloop.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socket));
            listener.Listen();
            File.SetUnixFileMode(socket, UnixFileMode.None);
            // Root without CAP_DAC_OVERRIDE is held to the socket's mode, as a user outside the group is.
            CliProcess.Result r = await CliProcess.RunAsync(["ls", "--socket", socket], withoutCapabilities: true);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal($"error: permission denied on {socket}: run with sudo or join the socket's group (traceloop)\n", r.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
