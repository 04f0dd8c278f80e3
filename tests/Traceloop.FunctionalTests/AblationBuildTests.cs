using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.FunctionalTests.Containers;
using Traceloop.Recorder.Bpf;
using Traceloop.TestCommon.Deploy;
using Traceloop.TestCommon.Tls;

namespace Traceloop.FunctionalTests;

/// <summary>
/// bench/ablate.sh builds bpf/traceloop.bpf.c at every TL_ABLATE level (each cuts one more stage of
/// the syscall programs) and measures redis under each. A level whose object the verifier rejects
/// breaks the script only when someone runs it, and level 3 did so twice after changes elsewhere
/// (clang bounded one copy of a syscall number and indexed with another). Each level is built here
/// as the script builds it, from a copy of bpf/ with make and CLANG="clang -DTL_ABLATE=n", then
/// loaded into the kernel and attached through the recorder's own loader.
/// </summary>
public sealed class AblationBuildTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task EveryAblationLevel_PassesTheVerifier(int level)
    {
        RootRequirement.Ensure();
        string source = Path.Join(RenderedManifests.RepoRoot(), "bpf");
        DirectoryInfo work = Directory.CreateTempSubdirectory("traceloop-ablate-");
        try
        {
            foreach (string file in Directory.GetFiles(source))
            {
                File.Copy(file, Path.Join(work.FullName, Path.GetFileName(file)));
            }
            await BuiltPrograms.RunAsync(new ProcessStartInfo("make", ["-s", "-C", work.FullName, $"CLANG=clang -DTL_ABLATE={level}"]), "make");
            byte[] image = File.ReadAllBytes(Path.Join(work.FullName, "out", "traceloop.bpf.o"));

            // Metrics on: the rejected code was the metrics' row index. A rejection throws, with the verifier's last lines.
            using KernelProbes probes = KernelProbes.Open(image,
                new KernelProbesConfig(RingSize: 1 << 16, MaxSlots: 2, MaxCgroups: 16, MaxString: 256, Captures: new Dictionary<int, tl_syscall_captures>(),
                    Metrics: true, MetricsSeries: 16),
                pinDirectory: null, reset: false, archive: null, NullLogger.Instance);
            Assert.Contains("tl_sys_enter", probes.AttachedPrograms);
            Assert.Contains("tl_sys_exit", probes.AttachedPrograms);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
