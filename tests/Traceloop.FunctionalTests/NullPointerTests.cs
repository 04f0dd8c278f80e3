using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// Calls that pass NULL for a pointer the recorder would capture (recv's address and its length,
/// sigprocmask's old set, sigaction's new action) are shown with NULL, and recording them costs the
/// program no page fault: a read of NULL by an eBPF helper faults, the helper absorbs the fault, and
/// the program pays the trip through the kernel's fault handler, which nothing else reports. Three
/// such reads a recv were a third of redis-benchmark's recording cost.
/// </summary>
public sealed class NullPointerTests(ITestOutputHelper output)
{
    // Waits (access and nanosleep) until a file appears, then makes n rounds of send, recv with NULL
    // address and length, sigprocmask with a NULL old set and sigaction with a NULL new action.
    private const string Source = """
        #include <signal.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>

        int main(int argc, char **argv)
        {
            struct timespec pause = { 0, 10 * 1000 * 1000 };
            int n = atoi(argv[2]), sv[2];
            char buf[64] = { 0 };
            struct sigaction old;
            sigset_t set;

            sigemptyset(&set);
            sigaddset(&set, SIGUSR1);
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
            while (syscall(SYS_access, argv[1], F_OK) != 0)
                syscall(SYS_nanosleep, &pause, 0);
            for (int i = 0; i < n; i++) {
                send(sv[0], "x", 1, 0);
                recvfrom(sv[1], buf, sizeof buf, 0, NULL, NULL);
                sigprocmask(SIG_BLOCK, &set, NULL);
                sigaction(SIGUSR1, NULL, &old);
            }
            return 0;
        }
        """;

    [Fact]
    public async Task NullPointers_AreShownAsNull_AndTheirRecordingCostsTheProgramNoPageFault()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        const int Rounds = 5000;
        string binary = await StaticBinary.CompileAsync(Source, cts.Token);
        BusyboxRootfs.Shared.CopyIn(binary, "/usr/local/bin/null-pointers");
        string goFile = $"/null-pointers-go-{Guid.NewGuid():N}";
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--spare-rings", "16"], cts.Token);

        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["/usr/local/bin/null-pointers", goFile, $"{Rounds}"] }, cts.Token);
        // Recorded from here: its waiting calls reach the ring.
        await Eventually.GetAsync(async () =>
        {
            string text = await recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
            return text.Contains("nanosleep(", StringComparison.Ordinal) ? text : null;
        }, TimeSpan.FromSeconds(30), "the waiting container's nanosleep calls to be recorded");

        long faults;
        using (KernelPageFaults counter = KernelPageFaults.Of(container.InitPid))
        {
            File.WriteAllText(BusyboxRootfs.Shared.HostPath(goFile), "");
            Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
            // A task's counter keeps its final count after the task has exited.
            faults = counter.Count;
        }

        string dump = await recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
        output.WriteLine($"{Rounds} rounds of 4 calls with NULL pointers: {faults} kernel-mode page faults");
        AssertLine(dump, "recvfrom(", "\"x\", 64, 0, NULL, NULL) = 1");
        AssertLine(dump, "rt_sigprocmask(", "[USR1], NULL, 8) = 0");
        AssertLine(dump, "rt_sigaction(", "SIGUSR1, NULL, ");
        // One read of a NULL pointer in each round would be Rounds faults; reading all four, as the
        // recorder did, 4 x Rounds. A handful may be the program's own (a fresh stack or socket page).
        Assert.True(faults < Rounds / 100, $"{Rounds} rounds of calls with NULL pointers took {faults} kernel-mode page faults");
    }

    private static void AssertLine(string text, string call, string part) =>
        Assert.True(
            text.Split('\n').Any(l => l.Contains(call, StringComparison.Ordinal) && l.Contains(part, StringComparison.Ordinal)),
            $"no {call}...{part} line in the dump:\n{text[^Math.Min(text.Length, 4000)..]}");
}
