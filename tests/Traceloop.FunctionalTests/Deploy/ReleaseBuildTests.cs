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
    private static readonly string[] Binaries = [.. ImageBinaries, "kubectl-traceloop"];

    /// <summary>What the image carries: the recorder, the node CLI, and the gateway once its project is in the tree (the script's rule).</summary>
    private static string[] ImageBinaries =>
        Directory.Exists(Path.Join(RenderedManifests.RepoRoot(), "gateway", "Traceloop.Gateway"))
            ? ["traceloop-recorder", "traceloop", "traceloop-gateway"]
            : ["traceloop-recorder", "traceloop"];

    /// <summary>Libraries the binaries dlopen, which ldd cannot see.</summary>
    private static readonly string[] Dlopened = ["libbpf.so.1", "libz.so.1", "libssl.so.3", "libcrypto.so.3"];
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

    [Fact]
    public void TheRootfsHoldsTheBinariesTheirLibrariesAndCertificates_AndNoShellOrPackageManager()
    {
        string[] listed = File.ReadAllLines(Release("rootfs.files"));
        string rootfs = Release("rootfs");
        // The list is the rootfs, file for file (links listed, never followed: their targets are
        // absolute paths, which outside the chroot name the host's files).
        string[] actual = [.. FilesAndLinks(rootfs).Select(p => "/" + Path.GetRelativePath(rootfs, p)).Order(StringComparer.Ordinal)];
        Assert.Equal(actual, listed.Order(StringComparer.Ordinal));

        Assert.All(ImageBinaries, b => Assert.Contains($"/usr/local/bin/{b}", listed));
        Assert.DoesNotContain("/usr/local/bin/kubectl-traceloop", listed);
        string[] names = [.. listed.Select(Path.GetFileName).OfType<string>()];
        Assert.All(Dlopened, lib => Assert.Contains(lib, names));
        Assert.Contains("libc.so.6", names);
        Assert.Contains(names, n => n.StartsWith("ld-linux", StringComparison.Ordinal));
        Assert.Contains("/etc/ssl/certs/ca-certificates.crt", listed);

        string[] forbidden = ["sh", "bash", "dash", "ash", "zsh", "busybox", "toybox", "apt", "apt-get", "dpkg", "rpm", "su", "sudo", "env"];
        Assert.Empty(names.Intersect(forbidden, StringComparer.Ordinal));
        Assert.DoesNotContain(listed, p => p.StartsWith("/bin/", StringComparison.Ordinal) || p.StartsWith("/usr/bin/", StringComparison.Ordinal)
            || p.StartsWith("/sbin/", StringComparison.Ordinal) || p.StartsWith("/var/lib/dpkg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheRootfsBinariesRun_InAChrootOfNothingElse_WithEveryLibraryTheyLoad()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        string rootfs = Release("rootfs");

        (int code, string output, string error) = await ChrootAsync(rootfs, ["/usr/local/bin/traceloop", "--version"], cts.Token);
        Assert.True(code == 0, $"traceloop --version in the rootfs exited {code}: {error}");
        Assert.Matches(@"^\d+\.\d+", output.Trim());
        foreach (string binary in ImageBinaries.Where(b => b != "traceloop"))
        {
            (code, _, error) = await ChrootAsync(rootfs, [$"/usr/local/bin/{binary}", "--help"], cts.Token);
            Assert.True(code == 0, $"{binary} --help in the rootfs exited {code}: {error}");
        }

        // The dlopen'ed libraries load only when first used; the loader, run inside the rootfs,
        // resolves each one's dependencies from the rootfs alone.
        string loader = File.ReadAllLines(Release("rootfs.files")).First(p => Path.GetFileName(p).StartsWith("ld-linux", StringComparison.Ordinal));
        foreach (string lib in File.ReadAllLines(Release("rootfs.files")).Where(p => Dlopened.Contains(Path.GetFileName(p))))
        {
            (code, output, error) = await ChrootAsync(rootfs, [loader, "--list", lib], cts.Token);
            Assert.True(code == 0, $"{loader} --list {lib} in the rootfs exited {code}: {error}");
            Assert.DoesNotContain("not found", output, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<string> FilesAndLinks(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).SelectMany(p =>
            new FileInfo(p).LinkTarget is null && Directory.Exists(p) ? FilesAndLinks(p) : [p]);

    private static async Task<(int Code, string Output, string Error)> ChrootAsync(string rootfs, string[] command, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("chroot") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(rootfs);
        foreach (string a in command)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin";
        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Release(string name)
    {
        string path = Path.Join(ReleaseDir, name);
        Assert.True(File.Exists(path) || Directory.Exists(path), $"{path} is missing: run scripts/build-release.sh --out {ReleaseDir} (scripts/test.sh does on a full run)");
        return path;
    }

    /// <summary>What the binaries are built from: a change to any of it makes them stale.</summary>
    private static IEnumerable<string> SourceFiles()
    {
        string root = RenderedManifests.RepoRoot();
        return ((string[])["recorder", "api", "cli", "bpf", "gateway", "cluster"])
            .Where(d => Directory.Exists(Path.Join(root, d)))
            .SelectMany(d => Directory.EnumerateFiles(Path.Join(root, d), "*", SearchOption.AllDirectories))
            .Where(f => Path.GetExtension(f) is ".cs" or ".csproj" or ".c" or ".h"
                && !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal));
    }
}
