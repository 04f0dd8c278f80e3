using System.Globalization;
using System.Text.RegularExpressions;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// Threads of one container on different CPUs write to different per-CPU sub-rings of its ring;
/// the dump merges them back into one history in time order, with nothing lost that fits.
/// </summary>
public sealed partial class SubRingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // Two threads, each bound to its own CPU, start together and open /t<thread>/1 ..
    // /t<thread>/argv[1] (each fails with ENOENT) as fast as they can, so their records are
    // written at the same time from two CPUs.
    private const string TwoThreadsSource = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <pthread.h>
        #include <sched.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        static int count;
        static pthread_barrier_t start;
        static void *numbered(void *arg)
        {
            long t = (long)arg;
            long cpus = sysconf(_SC_NPROCESSORS_ONLN);
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET((int)(t % (cpus > 0 ? cpus : 1)), &set);
            if (sched_setaffinity(0, sizeof set, &set) != 0) {
                perror("sched_setaffinity");
                exit(2);
            }
            pthread_barrier_wait(&start);
            char path[32];
            for (int i = 1; i <= count; i++) {
                snprintf(path, sizeof path, "/t%ld/%d", t, i);
                open(path, O_RDONLY);
            }
            return 0;
        }
        int main(int argc, char **argv)
        {
            count = atoi(argv[1]);
            pthread_t threads[2];
            pthread_barrier_init(&start, 0, 2);
            for (long t = 0; t < 2; t++)
                pthread_create(&threads[t], 0, numbered, (void *)t);
            for (int t = 0; t < 2; t++)
                pthread_join(threads[t], 0);
            return 0;
        }
        """;

    [GeneratedRegex("""^openat\(AT_FDCWD, "/t(\d)/(\d+)", O_RDONLY\) = -1 ENOENT""")]
    private static partial Regex NumberedOpen();

    [Fact]
    public async Task TwoThreadsOnTwoCpus_AreDumpedWhole_InThreadOrderAndTimeOrder()
    {
        // 2 x 3000 openat calls of about 176 bytes of records each: about 1 MiB, which the
        // 2 MiB ring holds in either split (one sub-ring of 2 MiB, or one of 1 MiB per CPU).
        const int count = 3000;
        Assert.True(Environment.ProcessorCount >= 2, "this test needs two CPUs to put the threads on");
        using var cts = new CancellationTokenSource(Timeout);
        string program = await StaticBinary.CompileAsync(TwoThreadsSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(program, "/usr/local/bin/two-threads");
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--ring-size", "2M"], cts.Token);
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["/usr/local/bin/two-threads", count.ToString(CultureInfo.InvariantCulture)] }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));

        (DumpHeader header, List<TraceEventDto> events) = await Eventually.GetAsync(async () =>
        {
            (DumpHeader h, List<TraceEventDto> e) = await recorder.Client.GetDumpAsync(container.Id, ct: cts.Token);
            return e.Exists(x => x.Kind == TraceEventKind.ProcessExit && x.ProcessEnded == true) ? Tuple.Create(h, e) : null;
        }, TimeSpan.FromSeconds(20), "the container's exit to be recorded");

        Assert.Equal(0, header.EventsLost);
        Assert.Equal(0, header.Container.EventsMissed);
        var byThread = new Dictionary<int, List<int>> { [0] = [], [1] = [] };
        var tids = new Dictionary<int, HashSet<int>> { [0] = [], [1] = [] };
        foreach (TraceEventDto e in events)
        {
            if (e.Text is not null && NumberedOpen().Match(e.Text) is { Success: true } m)
            {
                int thread = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                byThread[thread].Add(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
                tids[thread].Add(e.Tid);
                Assert.Equal(SyscallCompletion.Complete, e.Completion);
            }
        }
        Assert.Equal(Enumerable.Range(1, count), byThread[0]);
        Assert.Equal(Enumerable.Range(1, count), byThread[1]);
        Assert.Single(tids[0]);
        Assert.Single(tids[1]);
        Assert.NotEqual(tids[0].Single(), tids[1].Single());
        // One history in time order, each event numbered once.
        Assert.Equal(events.Select(e => e.TimestampNs).Order(), events.Select(e => e.TimestampNs));
        Assert.Equal(events.Count, events.Select(e => e.Seq).Distinct().Count());
        // How much the threads overlapped depends on the scheduler; it is reported, not asserted.
        int switches = events.Where(e => e.Text is not null && NumberedOpen().IsMatch(e.Text))
            .Select(e => e.Tid).Zip(events.Where(e => e.Text is not null && NumberedOpen().IsMatch(e.Text)).Select(e => e.Tid).Skip(1))
            .Count(p => p.First != p.Second);
        output.WriteLine($"{events.Count} events, {switches} switches between the threads in the merged order");
    }
}
