using System.Diagnostics;
using System.Net;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Bpf;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>Dumps kept on disk when a container dies badly, and the /dumps API that serves them.</summary>
public sealed class CrashCollectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan DumpDeadline = TimeSpan.FromSeconds(15);

    // Opens each argument (known syscalls with known paths), asks for its parent, then faults.
    private const string CrasherSource = """
        #include <fcntl.h>
        #include <unistd.h>
        int main(int argc, char **argv)
        {
            for (int i = 1; i < argc; i++)
                open(argv[i], O_RDONLY);
            getppid();
            *(volatile int *)0 = 1;
            return 0;
        }
        """;

    [Fact]
    public async Task ASegfault_KeepsADumpEndingWithItsLastCommandsAndItsDeath_WithinASecond()
    {
        const int runs = 5;
        using var cts = new CancellationTokenSource(Timeout * 2);
        string crasher = await StaticBinary.CompileAsync(CrasherSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(crasher, "/usr/local/bin/crasher");
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        var crashToDisk = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            crashToDisk.Add(await CrashOnceAsync(recorder, cts.Token));
        }
        crashToDisk.Sort();
        double median = crashToDisk[runs / 2];
        output.WriteLine($"crash to dump on disk, {runs} runs: median {median:0.0} ms; all: {string.Join(", ", crashToDisk.Select(ms => $"{ms:0.0}"))} ms");
        Assert.True(median < 1000, $"the dumps reached the disk a median {median:0} ms after the crash");
        Assert.True(crashToDisk[^1] < 5000, $"a dump reached the disk {crashToDisk[^1]:0} ms after the crash");
    }

    /// <summary>Runs the crasher once, checks its dump, returns the milliseconds from the death to the dump synced on disk.</summary>
    private async Task<double> CrashOnceAsync(RecorderProcess recorder, CancellationToken ct)
    {
        string first = $"/first-{Guid.NewGuid():N}", second = $"/second-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["/usr/local/bin/crasher", first, second] }, ct);
        Assert.Equal(128 + 11, await container.WaitForExitAsync(ct));

        SavedDumpInfo dump = await SavedDumpOf(recorder, container.Id, ct);
        Assert.Equal((DumpTriggerKinds.Signal, 11, "SIGSEGV"), (dump.Trigger!.Kind, dump.Trigger.Signal, dump.Trigger.SignalName));
        Assert.False(dump.Corrupt);

        string text = await Text(recorder, $"dumps/{dump.Id}?format=text", ct);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"# saved dump {dump.Id}, trigger signal: SIGSEGV", text, StringComparison.Ordinal);
        int openFirst = Array.FindIndex(lines, l => l.Contains($"openat(AT_FDCWD, \"{first}\", O_RDONLY) = -1 ENOENT", StringComparison.Ordinal));
        int openSecond = Array.FindIndex(lines, l => l.Contains($"openat(AT_FDCWD, \"{second}\", O_RDONLY) = -1 ENOENT", StringComparison.Ordinal));
        int getppid = Array.FindLastIndex(lines, l => l.Contains("getppid() = 0", StringComparison.Ordinal));
        int fault = Array.FindLastIndex(lines, l => l.Contains("--- SIGSEGV {si_signo=SIGSEGV", StringComparison.Ordinal));
        Assert.True(openFirst >= 0 && openFirst < openSecond && openSecond < getppid && getppid < fault, text[^Math.Min(text.Length, 3000)..]);
        // The dump ends with the death: the fault, then the main process's end, nothing after.
        Assert.Equal(lines.Length - 2, fault);
        Assert.Contains("+++ killed by SIGSEGV +++", lines[^1], StringComparison.Ordinal);

        (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetSavedDumpAsync(dump.Id, ct);
        Assert.Equal(dump.Id, header.DumpId);
        Assert.Equal(TraceEventKind.ProcessExit, events[^1].Kind);
        // From the death (the kernel's timestamp of the last event) to the dump synced on disk.
        string file = Path.Join(recorder.DataDir, "dumps", dump.Id + ".msgpack.lz4");
        TimeSpan crashToDisk = File.GetLastWriteTimeUtc(file) - header.WindowEnd!.Value.UtcDateTime;
        byte[] msgpack = await recorder.Client.GetSavedDumpBytesAsync(dump.Id, "msgpack", ct);
        output.WriteLine($"crash to dump on disk: {crashToDisk.TotalMilliseconds:0.0} ms; {events.Count} events, {dump.SizeBytes} bytes on disk, {msgpack.Length} bytes of MessagePack (ratio {(double)msgpack.Length / dump.SizeBytes:0.0})");

        // A standard LZ4 frame: lz4(1) restores the very MessagePack the API serves. Owner-only.
        string restored = Path.Join(Path.GetTempPath(), $"traceloop-{dump.Id}.msgpack");
        (int code, string lz4) = await Run("lz4", ["-d", "-f", "-q", file, restored], ct);
        Assert.True(code == 0, lz4);
        Assert.Equal(msgpack, await File.ReadAllBytesAsync(restored, ct));
        File.Delete(restored);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
        Assert.Contains($"Saved dump {dump.Id} of container {container.Id}", recorder.Output, StringComparison.Ordinal);
        return crashToDisk.TotalMilliseconds;
    }

    [Fact]
    public async Task ExitCode3_KeepsAnExitDump_ButACleanExitKeepsNone()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);

        await using RuncContainer clean = await RuncContainer.RunAsync(new ContainerSpec { Args = ["true"] }, cts.Token);
        Assert.Equal(0, await clean.WaitForExitAsync(cts.Token));
        await using RuncContainer failing = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sh", "-c", "ls /; exit 3"] }, cts.Token);
        Assert.Equal(3, await failing.WaitForExitAsync(cts.Token));

        SavedDumpInfo dump = await SavedDumpOf(recorder, failing.Id, cts.Token);
        Assert.Equal((DumpTriggerKinds.Exit, 3), (dump.Trigger!.Kind, dump.Trigger.ExitCode));
        Assert.Contains("+++ exited with 3 +++", await Text(recorder, $"dumps/{dump.Id}", cts.Token), StringComparison.Ordinal);
        // Notices are handled in order: the clean exit's was handled before this dump was kept.
        // (The recorder records every container on the host, other tests' too: look at ours.)
        Assert.DoesNotContain(await recorder.Client.GetSavedDumpsAsync(ct: cts.Token), d => d.Container?.Id == clean.Id);
        Assert.Contains(await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery(Trigger: DumpTriggerKinds.Exit), cts.Token), d => d.Id == dump.Id);
        Assert.DoesNotContain(await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery(Trigger: DumpTriggerKinds.Oom), cts.Token), d => d.Id == dump.Id);
    }

    [Fact]
    public async Task AnOomKill_UnderAMemoryLimit_KeepsAnOomDump()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);

        // tail keeps the last line of a file with no newline in it: /dev/zero grows it without end.
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["tail", "/dev/zero"], MemoryLimitBytes = 32 * 1024 * 1024 }, cts.Token);
        Assert.Equal(128 + 9, await container.WaitForExitAsync(cts.Token));

        SavedDumpInfo dump = await SavedDumpOf(recorder, container.Id, cts.Token);
        Assert.Equal((DumpTriggerKinds.Oom, 9), (dump.Trigger!.Kind, dump.Trigger.Signal));
        Assert.Equal(container.InitPid, dump.Trigger.Pid);
        string text = await Text(recorder, $"dumps/{dump.Id}?format=text", cts.Token);
        Assert.Contains("trigger oom: OOM kill", text, StringComparison.Ordinal);
        Assert.Contains("+++ killed by SIGKILL +++", text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dumps_SurviveARestart_AndACorruptFileIsListedAsCorruptWhileTheOthersAreServed()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string data = Directory.CreateTempSubdirectory("traceloop-crash-data-").FullName;
        try
        {
            string kept, truncated;
            await using (RecorderProcess first = await RecorderProcess.StartAsync(["--data-dir", data], cts.Token))
            {
                await using RuncContainer a = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sh", "-c", "exit 4"] }, cts.Token);
                await a.WaitForExitAsync(cts.Token);
                await using RuncContainer b = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sh", "-c", "exit 5"] }, cts.Token);
                await b.WaitForExitAsync(cts.Token);
                truncated = (await SavedDumpOf(first, a.Id, cts.Token)).Id;
                kept = (await SavedDumpOf(first, b.Id, cts.Token)).Id;
                Assert.Equal(0, await first.StopAsync());
            }

            string dumps = Path.Join(data, "dumps");
            string truncatedFile = Path.Join(dumps, truncated + ".msgpack.lz4");
            byte[] whole = await File.ReadAllBytesAsync(truncatedFile, cts.Token);
            await File.WriteAllBytesAsync(truncatedFile, whole[..(whole.Length / 2)], cts.Token);
            string garbage = "20250101T000000000Z-0badf00d";
            await File.WriteAllBytesAsync(Path.Join(dumps, garbage + ".msgpack.lz4"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(4000), cts.Token);

            await using RecorderProcess second = await RecorderProcess.StartAsync(["--data-dir", data], cts.Token);
            // Other tests' containers may have left dumps in this recorder too: look at these three.
            List<SavedDumpInfo> listed = [.. (await second.Client.GetSavedDumpsAsync(ct: cts.Token)).Where(d => d.Id == kept || d.Id == truncated || d.Id == garbage)];
            Assert.Equal([kept, truncated, garbage], listed.Select(d => d.Id));
            SavedDumpInfo good = listed[0], cut = listed[1], junk = listed[2];
            Assert.False(good.Corrupt);
            Assert.Equal((DumpTriggerKinds.Exit, 5), (good.Trigger!.Kind, good.Trigger.ExitCode));
            Assert.Contains("+++ exited with 5 +++", await Text(second, $"dumps/{kept}?format=text", cts.Token), StringComparison.Ordinal);
            Assert.True(cut.Corrupt && junk.Corrupt);
            Assert.Contains("cannot be read", cut.Error, StringComparison.Ordinal);
            Assert.Contains("LZ4", junk.Error, StringComparison.Ordinal);
            // What the sidecar knew of the truncated dump is still listed.
            Assert.Equal(4, cut.Trigger?.ExitCode);
            var e = await Assert.ThrowsAsync<TraceloopApiException>(() => second.Client.GetSavedDumpBytesAsync(truncated, "text", cts.Token));
            Assert.Equal((HttpStatusCode)422, e.Status);
            await second.Client.DeleteSavedDumpAsync(garbage, cts.Token);
            Assert.False(File.Exists(Path.Join(dumps, garbage + ".msgpack.lz4")));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task AManualSnapshot_IsKept_ListedByFilter_AndDeleted_AndMistakesAreAnswered()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        string marker = $"/manual-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", $"cat {marker}; exec sleep 60"] }, cts.Token);
        await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == container.Id)
            && (await recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token)).Contains(marker, StringComparison.Ordinal),
            DumpDeadline, "the container's first commands recorded");

        using (HttpResponseMessage created = await recorder.Client.SendAsync(HttpMethod.Post, $"containers/{container.Id[..12]}/snapshot", cts.Token))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        SavedDumpInfo snapshot = await recorder.Client.SnapshotContainerAsync(container.Id, cts.Token);
        Assert.Equal(DumpTriggerKinds.Manual, snapshot.Trigger!.Kind);
        Assert.Equal(container.Id, snapshot.Container!.Id);
        Assert.Equal(2, (await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery(Trigger: DumpTriggerKinds.Manual), cts.Token)).Count(d => d.Container!.Id == container.Id));
        Assert.Empty(await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery(Since: DateTimeOffset.UtcNow.AddMinutes(1)), cts.Token));
        Assert.Contains(marker, await Text(recorder, $"dumps/{snapshot.Id}?format=json", cts.Token), StringComparison.Ordinal);
        (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetSavedDumpAsync(snapshot.Id, cts.Token);
        Assert.Equal((DumpTriggerKinds.Manual, snapshot.Id, snapshot.Events), (header.Trigger!.Kind, header.DumpId, events.Count));

        await recorder.Client.DeleteSavedDumpAsync(snapshot.Id, cts.Token);
        Assert.Equal(HttpStatusCode.NotFound, (await Status(recorder, HttpMethod.Get, $"dumps/{snapshot.Id}", cts.Token)));
        Assert.Equal(HttpStatusCode.NotFound, (await Status(recorder, HttpMethod.Delete, $"dumps/{snapshot.Id}", cts.Token)));
        Assert.Equal(HttpStatusCode.NotFound, (await Status(recorder, HttpMethod.Get, "dumps/..%2F..%2Fetc%2Fpasswd", cts.Token)));
        Assert.Equal(HttpStatusCode.NotFound, (await Status(recorder, HttpMethod.Post, $"containers/{new string('f', 64)}/snapshot", cts.Token)));
        Assert.Equal(HttpStatusCode.NotFound, (await Status(recorder, HttpMethod.Post, "pods/nowhere/nothing/snapshot", cts.Token)));
        Assert.Equal(HttpStatusCode.BadRequest, (await Status(recorder, HttpMethod.Get, "dumps?trigger=bogus", cts.Token)));
        Assert.Equal(HttpStatusCode.BadRequest, (await Status(recorder, HttpMethod.Get, "dumps?since=yesterday", cts.Token)));
        Assert.Equal(HttpStatusCode.BadRequest, (await Status(recorder, HttpMethod.Get, "dumps?pod=", cts.Token)));
        Assert.Equal(HttpStatusCode.BadRequest, (await Status(recorder, HttpMethod.Get, $"dumps/{snapshot.Id}?format=xml", cts.Token)));
        Assert.Equal(HttpStatusCode.BadRequest, (await Status(recorder, HttpMethod.Post, "containers/XYZ/snapshot", cts.Token)));
    }

    // Survives a SIGSEGV it handles, then fails to connect, twice: the optional triggers' case.
    private const string SurvivorSource = """
        #include <arpa/inet.h>
        #include <signal.h>
        #include <sys/socket.h>
        #include <unistd.h>
        static void on_segv(int sig) { (void)sig; }
        static void refused(void)
        {
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            connect(fd, (struct sockaddr *)&a, sizeof(a));
            close(fd);
        }
        int main(void)
        {
            signal(SIGSEGV, on_segv);
            raise(SIGSEGV);
            /* The kernel passes on at most one trigger per container per second. */
            usleep(1500000);
            refused();
            refused();
            return 0;
        }
        """;

    [Fact]
    public async Task TheOptionalTriggers_KeepADumpForAHandledFatalSignal_AndForAWatchedSyscallFailure()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string survivor = await StaticBinary.CompileAsync(SurvivorSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(survivor, "/usr/local/bin/survivor");
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--dump-on-fatal-signal", "true", "--watch-syscall-errors", "connect:ECONNREFUSED,openat:EACCES"], cts.Token);
        Assert.Contains("tl_fatal_signal", await Text(recorder, "version", cts.Token), StringComparison.Ordinal);

        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["/usr/local/bin/survivor"] }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));

        List<SavedDumpInfo> dumps = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetSavedDumpsAsync(ct: cts.Token)).Where(d => d.Container?.Id == container.Id).ToList() is { Count: >= 2 } found ? found : null,
            DumpDeadline, "the fatal-signal and syscall-error dumps");
        SavedDumpInfo signal = Assert.Single(dumps, d => d.Trigger!.Kind == DumpTriggerKinds.FatalSignal);
        Assert.Equal((11, "SIGSEGV", container.InitPid), (signal.Trigger!.Signal, signal.Trigger.SignalName, signal.Trigger.Pid));
        SavedDumpInfo refused = Assert.Single(dumps, d => d.Trigger!.Kind == DumpTriggerKinds.SyscallError);
        Assert.Equal(("connect", "ECONNREFUSED"), (refused.Trigger!.Syscall, refused.Trigger.Errno));
        Assert.Contains("--- SIGSEGV {si_signo=SIGSEGV", await Text(recorder, $"dumps/{signal.Id}", cts.Token), StringComparison.Ordinal);
        Assert.Contains("connect(", await Text(recorder, $"dumps/{refused.Id}", cts.Token), StringComparison.Ordinal);
        // The second refusal is the same incident (cooldown), and the clean exit keeps nothing.
        await Task.Delay(TimeSpan.FromSeconds(1), cts.Token);
        Assert.Equal(2, (await recorder.Client.GetSavedDumpsAsync(ct: cts.Token)).Count(d => d.Container?.Id == container.Id));
    }

    [Fact]
    public async Task WithTheOptionalTriggersOff_TheirProgramsAreNotLoaded_AndTheyKeepNothing()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        string version = await Text(recorder, "version", cts.Token);
        Assert.DoesNotContain("tl_fatal_signal", version, StringComparison.Ordinal);
        // mark_victim names its task from Linux 6.9 on; before, the memory controller's count stands in.
        if (Environment.OSVersion.Version >= new Version(6, 9))
        {
            Assert.Contains("tl_oom_victim", version, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("tl_oom_victim", version, StringComparison.Ordinal);
        }

        // The syscall-error trigger is no program of its own but a branch of tl_sys_exit that the
        // load-time constant removes: off, the survivor's refused connect and handled SIGSEGV keep nothing.
        string survivor = await StaticBinary.CompileAsync(SurvivorSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(survivor, "/usr/local/bin/survivor");
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["/usr/local/bin/survivor"] }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == container.Id && c.ExitedAt is not null),
            TimeSpan.FromSeconds(10), "the container's end to be known");
        await Task.Delay(TimeSpan.FromSeconds(1), cts.Token);
        Assert.DoesNotContain(await recorder.Client.GetSavedDumpsAsync(ct: cts.Token), d => d.Container?.Id == container.Id);
    }

    [Fact]
    public async Task BadCrashOptions_AreRefusedWithTheirReasons()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        (int code, string text) = await RecorderProcess.RunToExitAsync(
            ["--socket", "/tmp/x.sock", "--dumps-per-container", "0", "--dumps-max-bytes", "lots", "--watch-syscall-errors", "connect:ENOPE"],
            withoutCapabilities: false, cts.Token);
        Assert.Equal(2, code);
        Assert.Contains("DumpsPerContainer 0 must be from 1 to 1000", text, StringComparison.Ordinal);
        Assert.Contains("DumpsMaxBytes 'lots' must be a size", text, StringComparison.Ordinal);
        Assert.Contains("WatchSyscallErrors: 'ENOPE' is not an errno name", text, StringComparison.Ordinal);
    }

    internal static async Task<SavedDumpInfo> SavedDumpOf(RecorderProcess recorder, string containerId, CancellationToken ct) =>
        await Eventually.GetAsync(async () => (await recorder.Client.GetSavedDumpsAsync(ct: ct)).Find(d => d.Container?.Id == containerId),
            DumpDeadline, $"a saved dump of container {containerId}");

    private static async Task<string> Text(RecorderProcess recorder, string path, CancellationToken ct)
    {
        using HttpResponseMessage response = await recorder.Client.SendAsync(path, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    private static async Task<HttpStatusCode> Status(RecorderProcess recorder, HttpMethod method, string path, CancellationToken ct)
    {
        try
        {
            using HttpResponseMessage response = await recorder.Client.SendAsync(method, path, ct);
            return response.StatusCode;
        }
        catch (TraceloopApiException e)
        {
            return e.Status ?? 0;
        }
    }

    private static async Task<(int Code, string Output)> Run(string file, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(ct), stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout + await stderr);
    }
}
