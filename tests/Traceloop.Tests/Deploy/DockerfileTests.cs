using System.Text.RegularExpressions;
using Traceloop.TestCommon.Deploy;

namespace Traceloop.Tests.Deploy;

/// <summary>
/// No Docker engine runs where Traceloop is built, so the Dockerfile is held to its shape: it
/// builds with scripts/build-release.sh (which CI runs) and ships what the DaemonSet runs.
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
        Assert.True(copy.Success, "a COPY --from=build of the binaries");
        string[] sources = copy.Groups["src"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"{outDir}/traceloop-recorder", $"{outDir}/traceloop"], sources);
        Assert.Equal("/usr/local/bin/", copy.Groups["dst"].Value);
        // Every build step is the script's: no second dotnet publish or make to drift from it.
        Assert.DoesNotMatch(@"RUN[^\n]*(dotnet publish|make -C)", Dockerfile);
    }

    [Fact]
    public void BothStagesAreDebian12_SoTheAotBinariesFindTheGlibcTheyWereLinkedAgainst()
    {
        string[] bases = [.. From().Matches(Dockerfile).Select(m => m.Groups["image"].Value)];
        Assert.Equal(["debian:bookworm", "debian:bookworm-slim"], bases);
        Assert.Contains("libbpf1", Dockerfile, StringComparison.Ordinal);
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

    [GeneratedRegex(@"^RUN scripts/build-release\.sh --out (?<out>\S+)$", RegexOptions.Multiline)]
    private static partial Regex BuildScript();

    [GeneratedRegex(@"^COPY --from=build (?<src>.+) (?<dst>\S+)$", RegexOptions.Multiline)]
    private static partial Regex CopyFromBuild();

    [GeneratedRegex(@"^FROM (?<image>\S+)", RegexOptions.Multiline)]
    private static partial Regex From();
}
