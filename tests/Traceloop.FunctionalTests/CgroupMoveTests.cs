using System.Diagnostics;
using System.Globalization;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// A syscall's exit record goes to the ring of the container the task is in when the call returns,
/// not where it entered: the kernel's exit takes its entry's container only when the task is still
/// in the same cgroup (bpf/traceloop.bpf.c, struct inflight). A process that writes its own pid
/// into another container's cgroup.procs is moved during that very write.
/// </summary>
public sealed class CgroupMoveTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AWriteThatMovesItsTaskToAnotherContainer_EndsInTheOtherContainersRing()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        // Named like a runtime's container cgroups, in every hierarchy, so the recorder adopts both
        // whichever one it keys containers by.
        using RecordedCgroup first = await RecordedCgroup.CreateAsync(recorder, "traceloop-move", cts.Token);
        using RecordedCgroup second = await RecordedCgroup.CreateAsync(recorder, "traceloop-move", cts.Token);

        // The shell joins the first container in every hierarchy, then the second: one of the second
        // round's writes is the one that moves it in the hierarchy the recorder keys by.
        const string Script = """
            for procs in $1; do echo $$ > "$procs"; done
            for procs in $2; do echo $$ > "$procs"; done
            exit 0
            """;
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true };
        foreach (string a in (string[])["-c", Script, "sh",
            string.Join(' ', first.ProcsFiles),
            string.Join(' ', second.ProcsFiles)])
        {
            psi.ArgumentList.Add(a);
        }
        using (Process sh = Process.Start(psi)!)
        {
            string stderr = await sh.StandardError.ReadToEndAsync(cts.Token);
            await sh.WaitForExitAsync(cts.Token);
            Assert.True(sh.ExitCode == 0, $"sh failed ({sh.ExitCode}): {stderr}");
            int pid = sh.Id;
            string pidLine = pid.ToString(CultureInfo.InvariantCulture) + "\n";

            List<TraceEventDto> before = await WritesOf(recorder, first.Id, pid, cts.Token);
            List<TraceEventDto> after = await Eventually.GetAsync(async () =>
                await WritesOf(recorder, second.Id, pid, cts.Token) is { Count: > 0 } found ? found : null,
                TimeSpan.FromSeconds(10), "the second container's ring to hold the shell's writes");
            foreach (TraceEventDto e in before.Concat(after))
            {
                output.WriteLine($"{e.Container ?? ""} {e.Completion} {e.Text}");
            }

            // The moving write entered in the first container and returned in the second: its entry
            // is unfinished there, its exit opens the second container's history of the shell.
            TraceEventDto unfinished = Assert.Single(before, e => e.Completion == SyscallCompletion.Unfinished);
            Assert.Same(before[^1], unfinished);
            Assert.Null(unfinished.Ret);
            TraceEventDto resumed = after[0];
            Assert.Equal(SyscallCompletion.EnterLost, resumed.Completion);
            Assert.Equal((long)pidLine.Length, resumed.Ret);
            Assert.Equal(unfinished.Tid, resumed.Tid);
            Assert.All(after.Skip(1), e => Assert.Equal(SyscallCompletion.Complete, e.Completion));
        }
    }

    /// <summary>The shell's write events in a container's ring, in order.</summary>
    private static async Task<List<TraceEventDto>> WritesOf(RecorderProcess recorder, string id, int pid, CancellationToken ct)
    {
        (_, List<TraceEventDto> events) = await recorder.Client.GetDumpAsync(id, ct: ct);
        return events.Where(e => e.Kind == TraceEventKind.Syscall && e.Pid == pid && e.Name == "write").ToList();
    }
}
