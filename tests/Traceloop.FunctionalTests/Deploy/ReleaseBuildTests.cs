using System.Diagnostics;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.FunctionalTests.Deploy;

/// <summary>
/// What scripts/build-release.sh produced (and the image ships): the Native AOT binaries run.
/// scripts/test.sh runs the script before a full run and passes its output directory in
/// TRACELOOP_RELEASE_DIR; publishing takes minutes, so the tests do not publish themselves.
/// </summary>
public sealed class ReleaseBuildTests
{
    private static readonly string[] Binaries = ["traceloop-recorder", "traceloop", "kubectl-traceloop", "traceloop-gateway"];
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string ReleaseDir =>
        Environment.GetEnvironmentVariable("TRACELOOP_RELEASE_DIR") is { Length: > 0 } dir ? dir : Path.Join(RenderedManifests.RepoRoot(), "artifacts", "release");

    [Fact]
    public void TheScriptProducedEveryBinary_AsNativeExecutables_NewerThanTheSources()
    {
        DateTime newestSource = SourceFiles().Max(File.GetLastWriteTimeUtc);
        foreach (string name in Binaries)
        {
            string path = Release(name);
            using (FileStream f = File.OpenRead(path))
            {
                var magic = new byte[4];
                f.ReadExactly(magic);
                Assert.Equal("\u007fELF"u8.ToArray(), magic);
            }
            Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), $"{path} is executable");
            Assert.True(File.GetLastWriteTimeUtc(path) >= newestSource,
                $"{path} is older than the sources: run scripts/build-release.sh --out {ReleaseDir} again");
        }
    }

    [Fact]
    public async Task TheReleasedRecorderStartsAsRoot_AndTheDaemonSetsProbeCommandAnswersFromItsSocket()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        string dir = Directory.CreateTempSubdirectory("traceloop-release-").FullName;
        string socket = Path.Join(dir, "traceloop.sock");
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            [], Release("traceloop-recorder"), ["--socket", socket, "--data-dir", Path.Join(dir, "data")], dir, socket, null, cts.Token);
        HealthStatus health = await recorder.Client.GetHealthAsync(cts.Token);
        Assert.Equal("ok", health.Status);

        // The probe as the manifest runs it, with the released CLI; the socket comes from the
        // environment here instead of the default path.
        IList<string> probe = RenderedManifests.Default.Recorder.LivenessProbe.Exec.Command;
        Assert.Equal("/usr/local/bin/traceloop", probe[0]);
        var psi = new ProcessStartInfo(Release("traceloop")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in probe.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["TRACELOOP_SOCKET"] = socket;
        using Process cli = Process.Start(psi)!;
        Task<string> stdout = cli.StandardOutput.ReadToEndAsync(cts.Token);
        Task<string> stderr = cli.StandardError.ReadToEndAsync(cts.Token);
        await cli.WaitForExitAsync(cts.Token);
        Assert.True(cli.ExitCode == 0, $"the probe exited with {cli.ExitCode}: {await stderr}");
        Assert.Contains("\"status\":\"ok\"", await stdout, StringComparison.Ordinal);
    }

    private static string Release(string name)
    {
        string path = Path.Join(ReleaseDir, name);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/build-release.sh --out {ReleaseDir} (scripts/test.sh does on a full run)");
        return path;
    }

    /// <summary>What the binaries are built from: a change to any of it makes them stale.</summary>
    private static IEnumerable<string> SourceFiles()
    {
        string root = RenderedManifests.RepoRoot();
        return ((string[])["recorder", "api", "cli", "bpf", "cluster", "gateway"])
            .SelectMany(d => Directory.EnumerateFiles(Path.Join(root, d), "*", SearchOption.AllDirectories))
            .Where(f => Path.GetExtension(f) is ".cs" or ".csproj" or ".c" or ".h"
                && !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal));
    }
}
