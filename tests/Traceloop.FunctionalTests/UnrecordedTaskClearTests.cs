using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// Each CPU remembers the pt_regs address of the last task it found not recorded
/// (bpf/traceloop.bpf.c, struct unrecorded_task), and every event that may make a task recorded
/// must clear that entry on every CPU: the recorder adding a container (LibbpfKernel), a task
/// moved to another cgroup, a container cgroup the kernel adopts. A new task clears only an entry
/// equal to its own address, which <see cref="UnrecordedTaskTests"/> checks end to end.
/// Checked on the map itself: a sentinel no pt_regs can have is written into every CPU's entry and
/// read back after the event. Any unrecorded syscall on a CPU replaces its entry with a real
/// address, so the CPU read is kept quiet: a recorded process spins there at real-time priority,
/// and a recorded process never writes the entry. That the sentinel survives without an event is
/// checked too, or the checks after an event would prove nothing. Real programs; alone, since
/// other tests' cgroups would clear the entries meanwhile.
/// </summary>
[Collection(ContainerViewTests.Alone)]
public sealed class UnrecordedTaskClearTests(ITestOutputHelper output)
{
    // Odd and in the first page: no task's pt_regs lies there.
    private const ulong Sentinel = 0x5e;
    // A cgroup id no cgroup has: the recorder's write of a container, undone at once.
    private const ulong NoCgroup = ulong.MaxValue - 0x7e;

    // Binds itself to CPU argv[1] at the lowest real-time priority, which keeps the host's ordinary
    // processes off that CPU but for the real-time throttle's share, and calls getppid until killed,
    // or for argv[2] seconds at most (alarm), should the test never kill it.
    private const string SpinnerSource = """
        #define _GNU_SOURCE
        #include <sched.h>
        #include <stdlib.h>
        #include <unistd.h>
        #include <sys/syscall.h>

        int main(int argc, char **argv)
        {
            struct sched_param rt = { .sched_priority = 1 };
            cpu_set_t cpu;

            CPU_ZERO(&cpu);
            CPU_SET(atoi(argv[1]), &cpu);
            if (sched_setaffinity(0, sizeof cpu, &cpu) != 0 || sched_setscheduler(0, SCHED_FIFO, &rt) != 0)
                return 2;
            alarm(atoi(argv[2]));
            for (;;)
                syscall(SYS_getppid);
        }
        """;

    [Fact]
    public async Task EveryEventThatMayMakeATaskRecorded_ClearsEveryCpusEntry_AndOthersLeaveIt()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string spinner = await StaticBinary.CompileAsync(SpinnerSource, cts.Token);
        using KernelProbes probes = KernelProbes.Open(
            new KernelProbesConfig(RingSize: 1 << 16, MaxSlots: 2, MaxCgroups: 16, MaxString: 256, Captures: new Dictionary<int, tl_syscall_captures>()),
            pinDirectory: null, reset: false, archive: null, NullLogger.Instance);
        var kernel = new LibbpfKernel(probes);
        // Made after the programs load, so tl_cgroup_mkdir adds it: the spinner in it is recorded.
        using RecordedCgroup quiet = RecordedCgroup.Create("traceloop-clear");
        Assert.True(Environment.ProcessorCount >= 2, "this test keeps one CPU quiet and needs another for the rest of the machine");
        int cpu = Environment.ProcessorCount - 1;
        using HostProcess spin = HostProcess.Start(spinner, $"{cpu}", "60");
        quiet.Move(spin.Id, realTime: true);
        await Task.Delay(TimeSpan.FromMilliseconds(200), cts.Token);
        // 2: it could not bind itself to the CPU or take a real-time priority.
        Assert.False(spin.Process.HasExited, $"the spinner ended with {(spin.Process.HasExited ? spin.Process.ExitCode : 0)}");

        // Nothing happens: the quiet CPU keeps the sentinel.
        Assert.True(Kept(probes, cpu, () => { }), $"CPU {cpu} never kept its entry for 5 ms: something else ran there");

        // A new task elsewhere has another address: the quiet CPU's entry stays.
        Assert.True(Kept(probes, cpu, () =>
        {
            using HostProcess other = HostProcess.Start("true");
            other.Process.WaitForExit();
        }), "a new task cleared an entry that was not its own");

        Cleared(probes, cpu, "the recorder adding a container", () =>
        {
            Assert.True(kernel.TryAddContainer(NoCgroup, new tl_container { slot = RecordLayout.SlotPending }));
            kernel.RemoveContainer(NoCgroup);
        });

        using HostProcess sleeper = HostProcess.Start("sleep", "60");
        Cleared(probes, cpu, "a task moved to another cgroup", () => quiet.Move(sleeper.Id));

        Cleared(probes, cpu, "a container cgroup the kernel adds", () => RecordedCgroup.Create("traceloop-clear").Dispose());
    }

    /// <summary>Writes the sentinel into every CPU's entry, runs the event and reads them back.</summary>
    private static ulong[] AroundEvent(KernelProbes probes, Action happen)
    {
        ulong[] entries = new ulong[PossibleCpus.Count];
        Array.Fill(entries, Sentinel);
        probes.UnrecordedTasks.UpdateRaw(0u, MemoryMarshal.AsBytes(entries.AsSpan()));
        happen();
        Thread.Sleep(5);
        Assert.True(probes.UnrecordedTasks.TryLookupRaw(0u, MemoryMarshal.AsBytes(entries.AsSpan())));
        return entries;
    }

    private void Cleared(KernelProbes probes, int cpu, string what, Action happen)
    {
        ulong[] entries = AroundEvent(probes, happen);
        output.WriteLine($"after {what}: [{string.Join(", ", entries.Select(e => $"0x{e:x}"))}]");
        // Every CPU's: a cleared entry is 0 until the next unrecorded call there, which writes a real address.
        Assert.True(Array.IndexOf(entries, Sentinel) < 0, $"{what} left the sentinel in CPU {Array.IndexOf(entries, Sentinel)}'s entry (the quiet one is {cpu})");
    }

    /// <summary>
    /// True when the quiet CPU kept the sentinel across <paramref name="happen"/> in one of five
    /// tries: the real-time throttle lets ordinary processes onto it now and then, and one
    /// unrecorded call there replaces the entry.
    /// </summary>
    private bool Kept(KernelProbes probes, int cpu, Action happen)
    {
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            ulong entry = AroundEvent(probes, happen)[cpu];
            output.WriteLine($"try {attempt}: CPU {cpu}'s entry 0x{entry:x}");
            if (entry == Sentinel)
            {
                return true;
            }
        }
        return false;
    }
}
