using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// A CPU remembers the last task it found not recorded by the address of the task's pt_regs, and
/// that task's calls leave before any helper call (bpf/traceloop.bpf.c, struct unrecorded_task).
/// Two events must make it forget: a move of the task into a recorded container, and a new task,
/// which may be given the kernel stack, and so the pt_regs address, of an unrecorded task that
/// has just ended. Each test checks that every call made after such an event is recorded.
/// <see cref="UnrecordedTaskClearTests"/> checks each clear on the map itself.
/// </summary>
public sealed class UnrecordedTaskTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // Spins on access until a file appears, then makes n getppid calls. It never sleeps: a task that
    // leaves its CPU lets others' calls replace what the CPU knows about it.
    private const string WaiterSource = """
        #include <stdlib.h>
        #include <unistd.h>
        #include <sys/syscall.h>

        int main(int argc, char **argv)
        {
            int n = atoi(argv[2]);

            while (syscall(SYS_access, argv[1], F_OK) != 0)
                ;
            for (int i = 0; i < n; i++)
                syscall(SYS_getppid);
            return 0;
        }
        """;

    /// <summary>
    /// A process of the host that another process moves into a container while it runs: its CPU
    /// has learnt that it is not recorded, and the move must make it forget.
    /// </summary>
    [Fact]
    public async Task AProcessOfTheHostMovedIntoAContainerByAnother_HasEveryLaterCallRecorded()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        // 2,000 pairs of records fit one CPU's part of the default ring, so none is overwritten.
        const int Calls = 2_000;
        string binary = await StaticBinary.CompileAsync(WaiterSource, cts.Token);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        using RecordedCgroup cgroup = await RecordedCgroup.CreateAsync(recorder, "traceloop-move", cts.Token);
        using var go = new GoFile();

        using HostProcess waiter = HostProcess.Start(binary, go.Path, $"{Calls}");
        // Long enough for many thousands of its calls on the host, each found not recorded.
        await Task.Delay(TimeSpan.FromMilliseconds(300), cts.Token);
        Assert.False(waiter.Process.HasExited, "the waiter ended before it was moved");
        cgroup.Move(waiter.Id);
        go.Create();
        Assert.Equal(0, await waiter.WaitForExitAsync(cts.Token));

        (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetDumpAsync(cgroup.Id, ct: cts.Token);
        List<TraceEventDto> mine = [.. events.Where(e => e.Kind == TraceEventKind.Syscall && e.Pid == waiter.Id)];
        // Its spinning went on in the container, a call a microsecond, and the oldest of those calls
        // were overwritten (the events lost); the getppid calls, the newest, were not.
        output.WriteLine($"{mine.Count} calls of the moved process in the container's ring, {header.EventsLost} overwritten");
        Assert.Contains(mine, e => e.Name == "access");
        List<TraceEventDto> getppid = [.. mine.Where(e => e.Name == "getppid")];
        Assert.Equal(Calls, getppid.Count);
        Assert.All(getppid, e => Assert.Equal(SyscallCompletion.Complete, e.Completion));
    }

    // Binds itself to CPU argv[1], waits for the file argv[2], then forks argv[3] children one after
    // the other; each makes 4 getppid calls and ends.
    private const string ForkerSource = """
        #define _GNU_SOURCE
        #include <sched.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>

        int main(int argc, char **argv)
        {
            struct timespec pause = { 0, 1000 * 1000 };
            int n = atoi(argv[3]);
            cpu_set_t cpu;

            CPU_ZERO(&cpu);
            CPU_SET(atoi(argv[1]), &cpu);
            if (sched_setaffinity(0, sizeof cpu, &cpu) != 0)
                return 2;
            while (syscall(SYS_access, argv[2], F_OK) != 0)
                syscall(SYS_nanosleep, &pause, 0);
            for (int i = 0; i < n; i++) {
                pid_t child = fork();

                if (child == 0) {
                    for (int j = 0; j < 4; j++)
                        syscall(SYS_getppid);
                    _exit(0);
                }
                if (child < 0 || waitpid(child, NULL, 0) != child)
                    return 3;
            }
            return 0;
        }
        """;

    /// <summary>
    /// Two forkers on one CPU, one on the host and one in a container: a child of the container's
    /// often gets the kernel stack an unrecorded child has just freed, while the CPU still
    /// remembers that stack's pt_regs as not recorded. Every fork must make it forget.
    /// </summary>
    [Fact]
    public async Task ANewTaskOnTheStackOfAnUnrecordedTaskThatEnded_IsRecorded()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        // Many children, for many chances of a reused stack; 400 of 4 getppid each, with their forks
        // and ends, fit one CPU's part of a 2M ring.
        const int Children = 400;
        string binary = await StaticBinary.CompileAsync(ForkerSource, cts.Token);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--ring-size", "2M"], cts.Token);
        using RecordedCgroup cgroup = await RecordedCgroup.CreateAsync(recorder, "traceloop-fork", cts.Token);
        using var go = new GoFile();

        using HostProcess host = HostProcess.Start(binary, "0", go.Path, $"{Children}");
        using HostProcess recorded = HostProcess.Start(binary, "0", go.Path, $"{Children}");
        cgroup.Move(recorded.Id);
        go.Create();
        int[] exitCodes = await Task.WhenAll(host.WaitForExitAsync(cts.Token), recorded.WaitForExitAsync(cts.Token));
        Assert.Equal([0, 0], exitCodes);

        (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetDumpAsync(cgroup.Id, ct: cts.Token);
        List<TraceEventDto> children = [.. events.Where(e => e.Kind == TraceEventKind.Syscall && e.Name == "getppid" && e.Pid != recorded.Id)];
        output.WriteLine($"{children.Count} getppid calls of {children.Select(e => e.Pid).Distinct().Count()} children in the container's ring, {header.EventsLost} lost");
        Assert.Equal(0, header.EventsLost);
        Assert.Equal(Children * 4, children.Count);
        Assert.All(children, e => Assert.Equal(SyscallCompletion.Complete, e.Completion));
        // None of the host's: its children were never in the container.
        Assert.DoesNotContain(events, e => e.Pid == host.Id);
    }
}
