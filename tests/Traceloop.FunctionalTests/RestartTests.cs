using System.Text.RegularExpressions;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The recording outlives the recorder process: its programs, maps and rings are pinned in a
/// bpffs, so a recorder killed with SIGKILL and started again takes every container's history
/// over, with what happened while it was down; a pinned state it cannot trust is discarded and
/// said to be, never read.
/// </summary>
public sealed partial class RestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // Opens /n/1, /n/2, ... /n/argv[1] (each fails with ENOENT), 25 ms apart, then exits 0.
    private const string CounterSource = """
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        int main(int argc, char **argv)
        {
            int n = atoi(argv[1]);
            struct timespec pause = { 0, 25 * 1000 * 1000 };
            char path[32];
            for (int i = 1; i <= n; i++) {
                snprintf(path, sizeof path, "/n/%d", i);
                open(path, O_RDONLY);
                nanosleep(&pause, 0);
            }
            return 0;
        }
        """;

    // Sleeps argv[1] ms, opens /before-fault, then faults.
    private const string LateCrasherSource = """
        #include <fcntl.h>
        #include <stdlib.h>
        #include <time.h>
        int main(int argc, char **argv)
        {
            long ms = atol(argv[1]);
            struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
            nanosleep(&pause, 0);
            open("/before-fault", O_RDONLY);
            *(volatile int *)0 = 1;
            return 0;
        }
        """;

    [GeneratedRegex("""openat\(AT_FDCWD, "/n/(\d+)", O_RDONLY\) = -1 ENOENT""")]
    private static partial Regex NumberedOpen();

    /// <summary>
    /// Nothing lost here means: every one of the 240 numbered openat calls the container made,
    /// before the kill, while no recorder ran, and after the restart, is in the one dump taken at
    /// the end, exactly once, in order; the dump's records are all the ring ever had (seq from 0,
    /// none overwritten, none missed).
    /// </summary>
    [Fact]
    public async Task NumberedSyscalls_BeforeDuringAndAfterAKill9_AreAllInTheDumpOnce()
    {
        const int count = 240;
        using var cts = new CancellationTokenSource(Timeout);
        string counter = await StaticBinary.CompileAsync(CounterSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(counter, "/usr/local/bin/counter");
        RecorderProcess first = await RecorderProcess.StartAsync(["--ring-size", "2M"], cts.Token);
        RecorderProcess? second = null;
        try
        {
            await using RuncContainer container = await RuncContainer.RunAsync(
                new ContainerSpec { Args = ["/usr/local/bin/counter", count.ToString(System.Globalization.CultureInfo.InvariantCulture)] }, cts.Token);
            await Eventually.TrueAsync(async () => NumbersIn(await first.Client.GetDumpTextAsync(container.Id, ct: cts.Token)).Contains(20),
                TimeSpan.FromSeconds(20), "the container's first numbers to be recorded");

            int seenBefore = NumbersIn(await first.Client.GetDumpTextAsync(container.Id, ct: cts.Token)).Count;
            await first.KillAsync();
            await Task.Delay(TimeSpan.FromSeconds(2), cts.Token);
            second = await first.RestartAsync(ct: cts.Token);
            Assert.Equal(0, await container.WaitForExitAsync(cts.Token));

            Assert.Contains("Took over the recording pinned in", second.Output, StringComparison.Ordinal);
            string text = await second.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
            List<int> numbers = NumbersIn(text);
            Assert.Equal(Enumerable.Range(1, count), numbers);
            Assert.Contains("0 older events lost to overwriting", text, StringComparison.Ordinal);
            Assert.Contains("with the container's first syscall", text, StringComparison.Ordinal);

            (DumpHeader header, List<TraceEventDto> events) = await second.Client.GetDumpAsync(container.Id, ct: cts.Token);
            Assert.Equal(0, header.EventsLost);
            Assert.Equal(0, header.Container.EventsMissed);
            Assert.Equal(RecordingOrigins.FirstSyscall, header.Container.RecordingOrigin);
            // Lost 0 says the ring's records run from seq 0 to its newest without a hole; each
            // event is named by its first record's seq, so they are distinct and start at 0.
            // (Their order is by time, which threads on two CPUs may interleave with seq.)
            Assert.Equal(0, events.Min(e => e.Seq));
            Assert.Equal(events.Count, events.Select(e => e.Seq).Distinct().Count());
            Assert.Equal(TraceEventKind.ProcessExit, events[^1].Kind);
            output.WriteLine($"{events.Count} events, seq 0..{events.Max(e => e.Seq)}; {seenBefore} numbers seen before the kill");
        }
        finally
        {
            await (second ?? first).DisposeAsync();
            if (second is not null)
            {
                await first.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AContainerThatCrashesWhileNoRecorderRuns_GetsItsDumpAfterTheRestart()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string crasher = await StaticBinary.CompileAsync(LateCrasherSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(crasher, "/usr/local/bin/late-crasher");
        RecorderProcess first = await RecorderProcess.StartAsync(ct: cts.Token);
        RecorderProcess? second = null;
        try
        {
            await using RuncContainer container = await RuncContainer.RunAsync(
                new ContainerSpec { Args = ["/usr/local/bin/late-crasher", "1500"] }, cts.Token);
            await Eventually.TrueAsync(async () => (await first.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == container.Id),
                TimeSpan.FromSeconds(20), "the container to be recorded");
            await first.KillAsync();
            Assert.Equal(128 + 11, await container.WaitForExitAsync(cts.Token));

            second = await first.RestartAsync(ct: cts.Token);
            SavedDumpInfo dump = await Eventually.GetAsync(async () =>
                (await second.Client.GetSavedDumpsAsync(ct: cts.Token)).Find(d => d.Container?.Id == container.Id),
                TimeSpan.FromSeconds(20), "the dump of the container that crashed while no recorder ran");
            Assert.Equal(DumpTriggerKinds.Signal, dump.Trigger!.Kind);
            Assert.Equal("SIGSEGV", dump.Trigger.SignalName);
            (DumpHeader header, List<TraceEventDto> events) = await second.Client.GetSavedDumpAsync(dump.Id, cts.Token);
            Assert.Contains(events, e => e.Text?.Contains("\"/before-fault\"", StringComparison.Ordinal) == true);
            Assert.Equal(TraceEventKind.ProcessExit, events[^1].Kind);
            Assert.Equal(0, header.EventsLost);
        }
        finally
        {
            await (second ?? first).DisposeAsync();
            if (second is not null)
            {
                await first.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A pinned state of another record format, or loaded with other settings, is discarded with
    /// its reason; the restarted recorder records afresh, and the running container's dump says
    /// its recording began when the recorder found it, not at its first syscall. Rings it can
    /// read (same format, other settings) are saved as dumps first; rings of another format are not
    /// read at all.
    /// </summary>
    [Theory]
    [InlineData("format")]
    [InlineData("format 1")] // the single-ring format before per-CPU sub-rings
    [InlineData("settings")]
    public async Task APinnedStateItCannotTrust_IsDiscardedWithItsReason_NeverRead(string change)
    {
        using var cts = new CancellationTokenSource(Timeout);
        RecorderProcess first = await RecorderProcess.StartAsync(ct: cts.Token);
        RecorderProcess? second = null;
        try
        {
            await using RuncContainer container = await RuncContainer.CreateAsync(
                new ContainerSpec { Args = ["sh", "-c", "cat /proc/version; exec sleep 60"] }, cts.Token);
            await container.StartAsync(cts.Token);
            await Eventually.TrueAsync(async () => (await first.Client.GetDumpTextAsync(container.Id, ct: cts.Token)).Contains("/proc/version", StringComparison.Ordinal),
                TimeSpan.FromSeconds(20), "the container's start to be recorded");
            Assert.Equal(0, await first.StopAsync());
            string[] extra = [];
            int format = change == "format 1" ? 1 : 99;
            if (change.StartsWith("format", StringComparison.Ordinal))
            {
                KernelMaps.SetPinnedFormatVersion(first.PinDir, (uint)format);
            }
            else
            {
                extra = ["--max-bytes", "128"];
            }

            second = await first.RestartAsync(extra, cts.Token);

            string reason = change.StartsWith("format", StringComparison.Ordinal)
                ? $"its rings hold record format {format} and this recorder reads format 2"
                : "it was loaded from other programs or with other capture or trigger settings";
            Assert.Contains($"Discarded the recording pinned in {first.PinDir}, because {reason}", second.Output, StringComparison.Ordinal);
            string text = await second.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
            Assert.DoesNotContain("/proc/version", text, StringComparison.Ordinal);
            Assert.Contains("when the recorder found the container already running; what it did before was never recorded", text, StringComparison.Ordinal);
            ContainerInfo info = (await second.Client.GetContainersAsync(cts.Token)).Single(c => c.Id == container.Id);
            Assert.Equal(RecordingOrigins.Adopted, info.RecordingOrigin);

            List<SavedDumpInfo> kept = (await second.Client.GetSavedDumpsAsync(ct: cts.Token))
                .FindAll(d => d.Container?.Id == container.Id && d.Trigger?.Kind == DumpTriggerKinds.Replaced);
            if (change.StartsWith("format", StringComparison.Ordinal))
            {
                Assert.Empty(kept);
                Assert.DoesNotContain("from the pinned recording being replaced", second.Output, StringComparison.Ordinal);
            }
            else
            {
                SavedDumpInfo replaced = Assert.Single(kept);
                string old = await (await second.Client.OpenSavedDumpAsync(replaced.Id, "text", cts.Token)).Content.ReadAsStringAsync(cts.Token);
                Assert.Contains("/proc/version", old, StringComparison.Ordinal);
                Assert.Contains("with the container's first syscall", old, StringComparison.Ordinal);
                Assert.Contains($"# saved dump {replaced.Id}, trigger replaced", old, StringComparison.Ordinal);
            }
        }
        finally
        {
            await (second ?? first).DisposeAsync();
            if (second is not null)
            {
                await first.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task StoppedRecordersKeepRecording_UntilUninstallDetachesThem()
    {
        using var cts = new CancellationTokenSource(Timeout);
        RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        string pinDir = recorder.PinDir;
        try
        {
            int program = KernelMaps.PinnedLinkProgram(Path.Join(pinDir, "state", "links", "tl_sys_enter"));
            Assert.Equal(0, await recorder.StopAsync());
            Assert.True(KernelMaps.ProgramLoaded(program), "a stopped recorder's programs must stay attached for the next one");

            (int code, string said) = await RecorderProcess.RunToExitAsync(["--uninstall", "--pin-dir", pinDir], withoutCapabilities: false, cts.Token);

            Assert.Equal(0, code);
            Assert.Contains($"discarded the pinned recording in {pinDir}: its programs are detached and its rings freed", said, StringComparison.Ordinal);
            Assert.False(Directory.Exists(pinDir));
            await Eventually.TrueAsync(() => Task.FromResult(!KernelMaps.ProgramLoaded(program)), TimeSpan.FromSeconds(10), "the program to be freed");
        }
        finally
        {
            await recorder.DisposeAsync();
        }
    }

    private static List<int> NumbersIn(string text) =>
        [.. NumberedOpen().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
}
