using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>The recorder's own life: grace periods, start-up failures, shutdown.</summary>
public sealed class LifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EndedContainer_StaysDumpableForTheGracePeriod_ThenIsReleased()
    {
        using var cts = new CancellationTokenSource(Timeout);
        // Long enough that a loaded machine still lists the ended container before the grace period is over.
        TimeSpan grace = TimeSpan.FromSeconds(8);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--grace-period", grace.ToString("c")], cts.Token);
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["ls", "/"] }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));

        ContainerInfo ended = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == container.Id && c.ExitedAt is not null),
            TimeSpan.FromSeconds(10), "the container to be listed as ended");
        string text = await recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
        Assert.Contains("execve(\"/bin/ls\"", text, StringComparison.Ordinal);

        var released = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () =>
            !(await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == container.Id), TimeSpan.FromSeconds(20), "the ring to be released");
        TimeSpan afterEnd = DateTimeOffset.UtcNow - ended.ExitedAt!.Value;
        Assert.True(afterEnd >= grace, $"released {afterEnd.TotalSeconds:0.0} s after the end, before the {grace.TotalSeconds} s grace period");
        var e = await Assert.ThrowsAsync<TraceloopApiException>(() => recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, e.Status);
        Assert.Contains("Released the ring of container " + container.Id, recorder.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutPrivileges_TheRecorderExitsWithAClearReason()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        string dir = Directory.CreateTempSubdirectory("traceloop-nopriv-").FullName;
        try
        {
            (int code, string output) = await RecorderProcess.RunToExitAsync(
                ["--socket", Path.Join(dir, "s.sock"), "--data-dir", Path.Join(dir, "data")], withoutCapabilities: true, cts.Token);
            Assert.NotEqual(0, code);
            Assert.Matches("traceloop-recorder: [^:]+ failed: operation not permitted; run as root or grant CAP_BPF and CAP_PERFMON", output);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task InvalidOptions_AreRefusedBeforeAnythingIsLoaded()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        (int code, string output) = await RecorderProcess.RunToExitAsync(["--ring-size", "3M", "--socket", "relative.sock"], withoutCapabilities: false, cts.Token);
        Assert.Equal(2, code);
        Assert.Contains("RingSize '3M' must be a power of two from 64K to 2M", output, StringComparison.Ordinal);
        Assert.Contains("SocketPath 'relative.sock' must be an absolute path", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondRecorderOnTheSameSocket_IsRefused_AndTheFirstKeepsServing()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess first = await RecorderProcess.StartAsync(ct: cts.Token);
        (int code, string output) = await RecorderProcess.RunToExitAsync(["--socket", first.SocketPath, "--data-dir", first.DataDir], withoutCapabilities: false, cts.Token);
        Assert.NotEqual(0, code);
        Assert.Contains($"another process already listens on {first.SocketPath}", output, StringComparison.Ordinal);
        Assert.Equal("ok", (await first.Client.GetHealthAsync(cts.Token)).Status);
    }

    [Fact]
    public async Task OptionsComeFromTheEnvironmentAndAConfigFile_TheCommandLineWins()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--ring-size", "128K"], dir =>
        {
            string config = Path.Join(dir, "config.json");
            File.WriteAllText(config, """{ "RingSize": "64K", "SocketMode": "0600", "DataDir": "/nonexistent/overridden" }""");
            return new Dictionary<string, string>
            {
                ["TRACELOOP_CONFIG"] = config,
                ["TRACELOOP_SOCKETPATH"] = Path.Join(dir, "traceloop.sock"),
                ["TRACELOOP_DATADIR"] = Path.Join(dir, "data"),
            };
        }, socketFromArgs: false, cts.Token);

        // Socket path from the environment, mode from the file, ring size from the command line.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(recorder.SocketPath));
        Assert.True(Directory.Exists(recorder.DataDir), "the data directory from the environment was created");
        Assert.Contains("128K ring per container", recorder.Output, StringComparison.Ordinal);
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["true"] }, cts.Token);
        await container.WaitForExitAsync(cts.Token);
        ContainerInfo info = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == container.Id), Timeout, "the container");
        Assert.Equal(128 * 1024, info.BufferBytes);
    }

    [Fact]
    public async Task Sigterm_StopsTheRecorderCleanly_AndRemovesTheSocket()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        Assert.Equal(0, await recorder.StopAsync());
        Assert.False(File.Exists(recorder.SocketPath));
    }
}
