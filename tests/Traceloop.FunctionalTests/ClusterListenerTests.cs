using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>The recorder's cluster listener refuses to start half-configured, with the reason.</summary>
public sealed class ClusterListenerTests
{
    [Fact]
    public async Task MissingTlsFiles_StopTheStart_WithTheirNames()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string dir = Directory.CreateTempSubdirectory("traceloop-cluster-listener-").FullName;
        try
        {
            (int code, string output) = await RecorderProcess.RunToExitAsync(["--socket", Path.Join(dir, "s.sock"), "--data-dir", Path.Join(dir, "data"),
                "--cluster-address", "127.0.0.1:1", "--cluster-tls-dir", Path.Join(dir, "absent")], withoutCapabilities: false, cts.Token);

            Assert.Equal(2, code);
            Assert.Contains("cannot use the TLS files", output, StringComparison.Ordinal);
            Assert.Contains(Path.Join(dir, "absent", "tls.crt"), output, StringComparison.Ordinal);

            (int half, string why) = await RecorderProcess.RunToExitAsync(["--socket", Path.Join(dir, "s.sock"), "--data-dir", Path.Join(dir, "data"),
                "--cluster-address", ":9444"], withoutCapabilities: false, cts.Token);
            Assert.Equal(2, half);
            Assert.Contains("ClusterAddress needs ClusterTlsDir", why, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
