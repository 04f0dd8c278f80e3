using System.Diagnostics;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Containers;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// More containers crash, several at once, than the recorder has ring slots for: every crash it
/// notices ends as a saved dump that holds the container's numbered syscalls and ends with its
/// death, or as a refusal that is logged with its reason and counted in /healthz. A container that
/// got a ring never loses it to eviction while its crash waits to be saved, and a container that
/// got none never leaves an empty dump.
/// </summary>
[Collection(CrashStormTests.Alone)]
public sealed class CrashStormTests(ITestOutputHelper output)
{
    /// <summary>Runs with no other test: every recorder records every container on the host, so a storm fills the others' slots too.</summary>
    public const string Alone = "crash storm, alone";

    /// <summary>Ring slots for this test's containers, on top of one for each container already on the host.</summary>
    private const int Slots = 4;
    private const int Crashers = 12;
    private const int AtOnce = 4;
    private const int Later = 4;
    private const int NumberedCalls = 20;
    private const int FillerCalls = 20_000; // a 2 MiB ring holds about 13,800 syscalls
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // Fills its ring with getppid calls (so each dump is a full ring, slow enough to save that
    // the collector falls behind the storm), opens /storm-<tag>-<i> for i = 1..n (each fails
    // with ENOENT), then faults.
    private const string CrasherSource = """
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        int main(int argc, char **argv)
        {
            char path[128];
            int n = atoi(argv[2]), filler = atoi(argv[3]);
            for (int i = 0; i < filler; i++)
                getppid();
            for (int i = 1; i <= n; i++) {
                snprintf(path, sizeof(path), "/storm-%s-%d", argv[1], i);
                open(path, O_RDONLY);
            }
            *(volatile int *)0 = 1;
            return 0;
        }
        """;

    [Fact]
    public async Task MoreCrashesThanSlots_EachIsADumpEndingWithTheDeath_OrALoggedAndCountedRefusal()
    {
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(Timeout);
        string crasher = await StaticBinary.CompileAsync(CrasherSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(crasher, "/usr/local/bin/storm-crasher");
        // Containers already on the host (another suite's, a benchmark's) are adopted at start and
        // keep their rings while they run: they get slots of their own, so this test's containers
        // compete for Slots rings.
        int present = CgroupFs.Locate("unified").Walk().Count(p => CgroupNaming.TryParse(p, out _));
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--max-containers", $"{present + Slots}", "--spare-rings", "2", "--ring-size", "2M", "--dump-on-signal", "true", "--dump-on-exit", "true"], cts.Token);
        CrashDumpCounts before = (await recorder.Client.GetHealthAsync(cts.Token)).CrashDumps!;

        var crashed = new List<(RuncContainer Container, string Tag)>();
        try
        {
            // Twelve crashers, four at a time: a new one starts as soon as one has died, while the
            // collector is still saving the dumps of the ones before (their rings must stay).
            await RunCrashersAsync(crashed, first: 1, Crashers, AtOnce, cts.Token);
            await AllHandledAsync(recorder, crashed, before, cts.Token);
            // Then a few more, one by one, once every notice is handled: the ended crashers'
            // rings may go now, so eviction makes room for these.
            await RunCrashersAsync(crashed, first: Crashers + 1, Later, atOnce: 1, cts.Token);
            await AllHandledAsync(recorder, crashed, before, cts.Token);

            string log = recorder.Output;
            List<SavedDumpInfo> dumps = await recorder.Client.GetSavedDumpsAsync(ct: cts.Token);
            Assert.DoesNotContain(dumps, d => d.Events == 0);
            int saved = 0, refused = 0, ringless = 0;
            foreach ((RuncContainer c, string tag) in crashed)
            {
                bool hadNoRing = log.Contains($"No ring left for container {c.Id}", StringComparison.Ordinal);
                ringless += hadNoRing ? 1 : 0;
                List<SavedDumpInfo> own = [.. dumps.Where(d => d.Container?.Id == c.Id)];
                if (own.Count == 0)
                {
                    // Refused, with its reason in the log: never for a container whose ring was taken away while its crash waited.
                    string refusal = Assert.Single(log.Split('\n'), l => l.Contains($"No dump of container {c.Id} for trigger signal", StringComparison.Ordinal));
                    Assert.True(hadNoRing, $"container {c.Id} had a ring, yet its crash kept no dump: {refusal}");
                    Assert.Contains("it never got a ring", refusal, StringComparison.Ordinal);
                    refused++;
                    continue;
                }
                SavedDumpInfo dump = Assert.Single(own);
                Assert.False(hadNoRing, $"container {c.Id} never had a ring, yet dump {dump.Id} was saved");
                await AssertEndsWithTheDeathAsync(recorder, dump, c, tag, cts.Token);
                saved++;
            }

            CrashDumpCounts after = (await recorder.Client.GetHealthAsync(cts.Token)).CrashDumps!;
            Assert.Equal(0, after.Failed - before.Failed);
            Assert.Equal(0, after.BelowFloor - before.BelowFloor);
            Assert.Equal(0, after.NoticesDropped - before.NoticesDropped);
            // Other containers on the host (another suite's) may crash into this recorder too: at least ours.
            Assert.True(after.Saved - before.Saved >= saved, $"{after.Saved - before.Saved} saved counted, {saved} of ours saved");
            Assert.True(after.NothingRecorded - before.NothingRecorded >= refused, $"{after.NothingRecorded - before.NothingRecorded} refusals counted, {refused} of ours refused");
            // The storm did go past capacity, and still kept dumps.
            Assert.True(ringless > 0, "every crasher got a ring: the storm never went past capacity");
            // Once their dumps were saved, ended crashers did make room: each eviction of one came after its dump.
            string[] lines = log.Split('\n');
            int evicted = 0;
            foreach ((RuncContainer c, _) in crashed)
            {
                int eviction = Array.FindIndex(lines, l => l.Contains($"Out of ring slots: released ended container {c.Id}", StringComparison.Ordinal));
                if (eviction >= 0)
                {
                    int dump = Array.FindIndex(lines, l => l.Contains($"Saved dump ", StringComparison.Ordinal) && l.Contains($" of container {c.Id}", StringComparison.Ordinal));
                    Assert.True(dump >= 0 && dump < eviction, $"container {c.Id} was evicted before its crash dump was saved\n{SlotLog(log)}");
                    evicted++;
                }
            }
            Assert.True(evicted > 0, $"no ended crasher was evicted to make room\n{SlotLog(log)}");
            output.WriteLine($"{Crashers} crashers, {AtOnce} at once, then {Later} one by one, {Slots} slots ({present} more for containers already on the host): {saved} dumps saved, {refused} refused (no ring), {evicted} ended crashers evicted after their dumps; {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            await Task.WhenAll(crashed.Select(c => c.Container.DisposeAsync().AsTask()));
        }
    }

    /// <summary>What the registry did with the slots, for a failure's message.</summary>
    private static string SlotLog(string log) => string.Join('\n', log.Split('\n').Where(l =>
        l.Contains("in slot", StringComparison.Ordinal) || l.Contains("No ring left", StringComparison.Ordinal)
        || l.Contains("Out of ring slots", StringComparison.Ordinal) || l.Contains("main process", StringComparison.Ordinal)
        || l.Contains("Saved dump", StringComparison.Ordinal) || l.Contains("No dump of", StringComparison.Ordinal)));

    private static async Task RunCrashersAsync(List<(RuncContainer Container, string Tag)> crashed, int first, int count, int atOnce, CancellationToken ct)
    {
        using var slots = new SemaphoreSlim(atOnce);
        Task[] runs = [.. Enumerable.Range(first, count).Select(async n =>
        {
            await slots.WaitAsync(ct);
            try
            {
                string tag = $"{n}x{Guid.NewGuid():N}"[..12];
                RuncContainer c = await RuncContainer.RunAsync(
                    new ContainerSpec { Args = ["/usr/local/bin/storm-crasher", tag, $"{NumberedCalls}", $"{FillerCalls}"] }, ct);
                lock (crashed)
                {
                    crashed.Add((c, tag));
                }
                Assert.Equal(128 + 11, await c.WaitForExitAsync(ct));
            }
            finally
            {
                slots.Release();
            }
        })];
        // The containers are disposed at the end, so no cgroup goes while its crash is handled.
        await Task.WhenAll(runs);
    }

    /// <summary>
    /// Every crash was noticed (a container without a ring reports its end too) and the collector
    /// is done: each notice counted as exactly one outcome.
    /// </summary>
    private static Task AllHandledAsync(RecorderProcess recorder, List<(RuncContainer Container, string Tag)> crashed, CrashDumpCounts before, CancellationToken ct) =>
        Eventually.TrueAsync(async () =>
        {
            string log = recorder.Output;
            return crashed.All(c => log.Contains($"Container {c.Container.Id}: main process", StringComparison.Ordinal))
                && (await recorder.Client.GetHealthAsync(ct)).CrashDumps is { } now
                && now.Triggered - before.Triggered >= crashed.Count
                && now.Triggered == now.Saved + now.NothingRecorded + now.BelowFloor + now.Failed;
        }, TimeSpan.FromSeconds(30), "the recorder to notice and handle every crash");

    /// <summary>The dump holds the crasher's numbered opens in order, then its SIGSEGV, then its end, and nothing after.</summary>
    private static async Task AssertEndsWithTheDeathAsync(RecorderProcess recorder, SavedDumpInfo dump, RuncContainer c, string tag, CancellationToken ct)
    {
        Assert.False(dump.Corrupt);
        Assert.True(dump.Events > 0);
        Assert.Equal((DumpTriggerKinds.Signal, 11, c.InitPid), (dump.Trigger!.Kind, dump.Trigger.Signal, dump.Trigger.Pid));
        (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetSavedDumpAsync(dump.Id, ct);
        Assert.Equal(dump.Events, events.Count);
        Assert.Equal(dump.Id, header.DumpId);
        TraceEventDto last = events[^1];
        Assert.Equal((TraceEventKind.ProcessExit, c.InitPid), (last.Kind, last.Pid));

        using HttpResponseMessage response = await recorder.Client.SendAsync($"dumps/{dump.Id}?format=text", ct);
        string text = await response.Content.ReadAsStringAsync(ct);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int previous = -1;
        for (int i = 1; i <= NumberedCalls; i++)
        {
            int at = Array.FindIndex(lines, l => l.Contains($"openat(AT_FDCWD, \"/storm-{tag}-{i}\", O_RDONLY) = -1 ENOENT", StringComparison.Ordinal));
            Assert.True(at > previous, $"dump {dump.Id}: open number {i} missing or out of order\n{text[^Math.Min(text.Length, 3000)..]}");
            previous = at;
        }
        int fault = Array.FindLastIndex(lines, l => l.Contains("--- SIGSEGV {si_signo=SIGSEGV", StringComparison.Ordinal));
        Assert.True(fault > previous, $"dump {dump.Id}: no SIGSEGV after the opens");
        Assert.Equal(lines.Length - 2, fault);
        Assert.Contains("+++ killed by SIGSEGV +++", lines[^1], StringComparison.Ordinal);
    }
}

[CollectionDefinition(CrashStormTests.Alone, DisableParallelization = true)]
public sealed class CrashStormCollection;
