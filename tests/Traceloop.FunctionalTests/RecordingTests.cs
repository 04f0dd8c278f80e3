using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>Real containers, real syscalls, the real kernel: what a dump holds.</summary>
[Collection(RecorderCollection.Name)]
public sealed class RecordingTests(RecorderFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private TraceloopClient Client => fixture.Recorder.Client;

    [Fact]
    public async Task ContainerThatFailsAtOnce_DumpShowsItsExecveAndFailedOpenatInOrder()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string missing = $"/nonexistent-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["cat", missing] }, cts.Token);
        Assert.Equal(1, await container.WaitForExitAsync(cts.Token));

        ContainerInfo info = await WaitListedAsync(container.Id, exited: true);
        Assert.Equal(container.PodUid, info.PodUid);
        Assert.Equal(container.CgroupPath, info.CgroupPath);
        Assert.Equal(container.InitPid, info.MainPid);
        Assert.Equal(1 << 8, info.ExitStatus);

        (DumpHeader header, List<TraceEventDto> events) = await Client.GetDumpAsync(container.Id[..12], ct: cts.Token);
        Assert.Equal(container.Id, header.Container.Id);
        Assert.Equal(events.Count, header.Events);
        Assert.Equal(0, header.EventsLost);

        int execve = events.FindIndex(e => e.Name == "execve" && e.Pid == container.InitPid && e.Ret == 0);
        Assert.True(execve >= 0, "the entrypoint's execve is in the dump");
        Assert.Equal("\"/bin/cat\"", events[execve].Args![0].Text);
        // Everything runc's init did inside the new cgroup before the exec is there too:
        // the container was recorded from its cgroup's creation, not from when we noticed it.
        Assert.Contains(events.Take(execve), e => e.Name == "pivot_root" || e.Name == "mount");

        int openat = events.FindIndex(execve, e => e.Name == "openat" && e.Args![1].Text == $"\"{missing}\"");
        Assert.True(openat > execve, "the failed openat follows the execve");
        TraceEventDto open = events[openat];
        Assert.Equal(container.InitPid, open.Pid);
        Assert.Equal(container.InitPid, open.Tid);
        Assert.Equal("cat", open.Comm);
        Assert.Equal(-2, open.Ret);
        Assert.Equal("ENOENT", open.Errno);
        Assert.Equal("AT_FDCWD", open.Args![0].Text);
        Assert.Contains(events.Skip(openat), e => e.Kind == TraceEventKind.ProcessExit && e.Pid == container.InitPid && e.ProcessEnded == true && e.ExitStatus == 1 << 8);

        string text = await Client.GetDumpTextAsync(container.Id, ct: cts.Token);
        string line = Assert.Single(text.Split('\n'), l => l.Contains($"openat(AT_FDCWD, \"{missing}\"", StringComparison.Ordinal));
        // The same path also shows in the entrypoint's argv and in the error message it wrote.
        Assert.Contains($"execve(\"/bin/cat\", [\"cat\", \"{missing}\"]", text, StringComparison.Ordinal);
        // The message is longer than the 64 bytes of a buffer kept by default: cut, and marked so.
        string message = $"cat: can't open '{missing}': No such file or directory\n";
        Assert.Contains($"write(2, \"{message[..64].Replace("\n", "\\n", StringComparison.Ordinal)}\"..., {message.Length}) = {message.Length}", text, StringComparison.Ordinal);
        Assert.Matches($@"^\d\d:\d\d:\d\d\.\d{{6}} {container.InitPid} cat openat\(AT_FDCWD, ""{missing}"", O_RDONLY\) = -1 ENOENT \(No such file or directory\) <\d+\.\d{{6}}>$", line);
        Assert.True(text.IndexOf("execve(\"/bin/cat\"", StringComparison.Ordinal) < text.IndexOf(line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoisyNeighbour_CannotEvictAQuietContainersHistory()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string marker = $"/quiet-{Guid.NewGuid():N}";
        await using RuncContainer quiet = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", $"cat {marker}; touch /tmp/done; exec sleep 60"] }, cts.Token);
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists($"/proc/{quiet.InitPid}/root/tmp/done")), Timeout, "the quiet container's work");
        // Its own work, over once sleep waits in nanosleep: mostly runc init's Go runtime, over a
        // thousand events, 30-47 % of the fullest sub-ring on a loaded machine, so the ring is compared
        // with itself.
        await Eventually.GetAsync(async () =>
            (await Client.GetDumpJsonAsync(quiet.Id, ct: cts.Token)).LastOrDefault(e => e.Kind == TraceEventKind.Syscall) is
                { Completion: SyscallCompletion.Unfinished } last && last.Name!.Contains("nanosleep", StringComparison.Ordinal) ? last : null,
            Timeout, "the quiet container to wait in nanosleep");
        double quietFill = (await Client.GetContainersAsync(cts.Token)).Single(c => c.Id == quiet.Id).BufferFill;
        await using RuncContainer noisy = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=3000000"] }, cts.Token);

        // The noisy container wraps its own ring many times over.
        ContainerInfo noisyInfo = await Eventually.GetAsync(async () =>
        {
            List<ContainerInfo> all = await Client.GetContainersAsync(cts.Token);
            return all.Find(c => c.Id == noisy.Id && c.EventsLost > 100_000);
        }, TimeSpan.FromSeconds(45), "the noisy container to overwrite its ring");
        Assert.Equal(1.0, noisyInfo.BufferFill);

        List<TraceEventDto> events = await Client.GetDumpJsonAsync(quiet.Id, ct: cts.Token);
        Assert.Contains(events, e => e.Name == "openat" && e.Args![1].Text == $"\"{marker}\"" && e.Errno == "ENOENT");
        // Its last syscall is still in flight, and shown so.
        TraceEventDto sleeping = events.Last(e => e.Kind == TraceEventKind.Syscall);
        Assert.Contains("nanosleep", sleeping.Name, StringComparison.Ordinal);
        Assert.Equal(SyscallCompletion.Unfinished, sleeping.Completion);
        Assert.Null(sleeping.Ret);
        ContainerInfo quietInfo = (await Client.GetContainersAsync(cts.Token)).Single(c => c.Id == quiet.Id);
        Assert.Equal(0, quietInfo.EventsLost);
        // Not one record more than its own work left there (the bound used to be "under half full",
        // which runc init alone came within a few points of once rings were split per CPU).
        Assert.True(quietInfo.BufferFill == quietFill, $"the quiet ring went from {quietFill:P1} to {quietInfo.BufferFill:P1} full while its neighbour ran");
        Assert.All(events, e => Assert.NotEqual(noisy.InitPid, e.Pid));

        (DumpHeader noisyHeader, List<TraceEventDto> noisyEvents) = await Client.GetDumpAsync(noisy.Id, last: 1000, ct: cts.Token);
        Assert.Equal(1000, noisyEvents.Count);
        Assert.True(noisyHeader.EventsLost > 100_000);
        Assert.All(noisyEvents, e => Assert.Equal("dd", e.Comm ?? "dd"));
    }

    [Fact]
    public async Task Dump_IsASnapshot_RepeatedDumpsShowTheSameHistoryPlusWhatCameSince()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RuncContainer container = await RuncContainer.RunAsync(
            // A paced loop with no forks: a few syscalls every 50 ms, so the ring never wraps here.
            new ContainerSpec { Args = ["sh", "-c", "mkfifo /tmp/f; exec 3<>/tmp/f; while true; do cat /first 2>/dev/null; read -t 0.05 x <&3; done"] }, cts.Token);
        await WaitListedAsync(container.Id, exited: false);
        await Eventually.TrueAsync(async () => (await Client.GetDumpJsonAsync(container.Id, ct: cts.Token)).Any(e => e.Name == "openat"),
            Timeout, "the loop's first openat");

        List<TraceEventDto> first = await Client.GetDumpJsonAsync(container.Id, ct: cts.Token);
        List<TraceEventDto> second = await Eventually.GetAsync(async () =>
        {
            List<TraceEventDto> now = await Client.GetDumpJsonAsync(container.Id, ct: cts.Token);
            return now.Count > first.Count + 10 ? now : null;
        }, Timeout, "more events");

        Assert.Equal(0, (await Client.GetDumpAsync(container.Id, last: 1, ct: cts.Token)).Header.EventsLost);
        // Nothing was consumed by the first dump: every complete event it held is still there.
        var secondKeys = second.Select(Key).ToHashSet();
        Assert.All(first.Where(e => e.Completion == SyscallCompletion.Complete), e => Assert.Contains(Key(e), secondKeys));
        Assert.True(second.Max(e => e.TimestampNs) > first.Max(e => e.TimestampNs));

        static string Key(TraceEventDto e) => $"{e.Seq}/{e.TimestampNs}/{e.Tid}/{e.Nr}";
    }

    [Fact]
    public async Task ContainerRunningBeforeTheRecorderStarted_IsAdoptedAndRecorded()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", "while [ ! -e /tmp/go ]; do read -t 0.02 x </dev/zero; done; cat /adopted-marker; exec sleep 60"] }, cts.Token);
        await using RecorderProcess late = await RecorderProcess.StartAsync(ct: cts.Token);
        ContainerInfo info = await Eventually.GetAsync(async () =>
            (await late.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == container.Id), Timeout, "the adopted container");
        Assert.Null(info.ExitedAt);
        Assert.Equal(container.CgroupPath, info.CgroupPath);

        // The container's own /tmp (a tmpfs), reached through its root from the host.
        File.WriteAllText($"/proc/{container.InitPid}/root/tmp/go", "");
        await Eventually.TrueAsync(async () =>
            (await late.Client.GetDumpTextAsync(container.Id, ct: cts.Token)).Contains("\"/adopted-marker\"", StringComparison.Ordinal),
            Timeout, "the adopted container's openat after the recorder started");
    }

    private async Task<ContainerInfo> WaitListedAsync(string id, bool exited) =>
        await Eventually.GetAsync(async () =>
        {
            List<ContainerInfo> all = await Client.GetContainersAsync();
            return all.Find(c => c.Id == id && (!exited || c.ExitedAt is not null));
        }, Timeout, $"container {id[..12]} to be listed{(exited ? " as exited" : "")}");
}
