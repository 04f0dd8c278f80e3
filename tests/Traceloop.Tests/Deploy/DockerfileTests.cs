using System.Text.RegularExpressions;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.Tests.Deploy;

/// <summary>
/// No Docker engine runs where Traceloop is built, so the Dockerfile is held to its shape: it
/// builds with scripts/build-release.sh (which CI runs) and ships what the DaemonSet runs, and
/// its final stage has nothing to exec into. (ReleaseBuildTests checks the rootfs the script
/// assembles for the same: its file list, and that the binaries run from it.)
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(RenderedManifests.RepoRoot(), "Dockerfile"));

    [Fact]
    public void TheBuildStageRunsTheReleaseScript_AndTheRuntimeStageCopiesItsOutput()
    {
        Match run = BuildScript().Match(Dockerfile);
        Assert.True(run.Success, "a RUN of scripts/build-release.sh --out DIR");
        string outDir = run.Groups["out"].Value;

        Match copy = CopyFromBuild().Match(Dockerfile);
        Assert.True(copy.Success, "a COPY --from=build of the rootfs the script assembles");
        string[] sources = copy.Groups["src"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"{outDir}/rootfs"], sources);
        Assert.Equal("/", copy.Groups["dst"].Value);
        // Every build step is the script's: no second dotnet publish or make to drift from it.
        Assert.DoesNotMatch(@"RUN[^\n]*(dotnet publish|make -C)", Dockerfile);
    }

    [Fact]
    public void TheBuildStageIsDebian12_AndTheFinalStageIsScratch_SoTheLibrariesComeFromTheStageThatLinked()
    {
        string[] bases = [.. From().Matches(Dockerfile).Select(m => m.Groups["image"].Value)];
        Assert.Equal(["debian:bookworm", "scratch"], bases);
        // The build stage has every library the script copies into the rootfs.
        Assert.All((string[])["libbpf1", "zlib1g-dev", "libssl3", "ca-certificates"], p => Assert.Contains(p, BuildStage, StringComparison.Ordinal));
    }

    [Fact]
    public void TheFinalStageHasNoShellNoPackageManager_AndRunsNothingAtBuildTime()
    {
        // Instructions start a line; continuation lines are indented.
        string[] instructions = [.. FinalStage.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !char.IsWhiteSpace(l[0]))
            .Select(l => l.Split(' ', 2)[0])
            .Where(word => word.All(char.IsAsciiLetterUpper))];
        // RUN needs a shell (or an exec'd program) inside the image; scratch has neither.
        Assert.DoesNotContain("RUN", instructions);
        Assert.Equal(["FROM", "COPY", "LABEL", "USER", "ENTRYPOINT"], instructions);
        Assert.Equal(["COPY --from=build /out/rootfs /"], [.. FinalStage.Split('\n').Where(l => l.StartsWith("COPY", StringComparison.Ordinal))]);
        foreach (string tool in (string[])["/bin/sh", "bash", "busybox", "apt", "dpkg", "SHELL"])
        {
            Assert.DoesNotMatch($@"(?m)^[^#\n]*(?<![\w.-]){Regex.Escape(tool)}(?![\w-])", FinalStage);
        }
        // Non-root unless a manifest says otherwise.
        Assert.Matches(@"(?m)^USER [1-9][0-9]*:[1-9][0-9]*$", FinalStage);
    }

    [Fact]
    public void TheImageRunsWhatTheDaemonSetRuns_AndHasTheCliItsProbesUse()
    {
        Assert.Contains("ENTRYPOINT [\"/usr/local/bin/traceloop-recorder\"]", Dockerfile, StringComparison.Ordinal);
        Assert.Equal("/usr/local/bin/traceloop-recorder", Assert.Single(RenderedManifests.Default.Recorder.Command));
        Assert.Equal("/usr/local/bin/traceloop", RenderedManifests.Default.Recorder.LivenessProbe.Exec.Command[0]);
    }

    [Fact]
    public void TheBuildContextLeavesOutLocalBuildOutputs()
    {
        string[] ignored = File.ReadAllLines(Path.Combine(RenderedManifests.RepoRoot(), ".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains("bpf/out/", ignored);
        Assert.Contains("artifacts/", ignored);
    }

    private static string BuildStage => Dockerfile[..FinalStageStart];

    private static string FinalStage => Dockerfile[FinalStageStart..];

    private static int FinalStageStart => From().Matches(Dockerfile)[^1].Index;

    [GeneratedRegex(@"^RUN scripts/build-release\.sh --out (?<out>\S+)$", RegexOptions.Multiline)]
    private static partial Regex BuildScript();

    [GeneratedRegex(@"^COPY --from=build (?<src>.+) (?<dst>\S+)$", RegexOptions.Multiline)]
    private static partial Regex CopyFromBuild();

    [GeneratedRegex(@"^FROM (?<image>\S+)", RegexOptions.Multiline)]
    private static partial Regex From();
}
