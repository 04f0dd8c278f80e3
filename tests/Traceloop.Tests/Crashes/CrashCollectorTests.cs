using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Records;
using Traceloop.Recorder.Store;
using Traceloop.Tests.Containers;
using Traceloop.Tests.Http;

namespace Traceloop.Tests.Crashes;

/// <summary>
/// Crash collection from the kernel's notices to the store, over the kernel seam: which endings
/// keep a dump, with which trigger, and that one notice keeps exactly one dump.
/// </summary>
public sealed class CrashCollectorTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private DumpStore Store => _host.Service<DumpStore>();

    private RecordedContainer Start(int n, uint pid, int exitCode, int signal = 0)
    {
        RecordedContainer c = _host.Harness.Start(RegistryHarness.PodUid(n), RegistryHarness.ContainerId(n));
        var ring = (FakeRing)c.Ring!;
        ring.Builder.Enter(pid, pid, 110, 10);
        ring.Builder.Exit(pid, pid, 110, 1, 11);
        ring.Builder.ProcessExit(pid, pid, signal != 0 ? signal : exitCode << 8, isLeader: true, ts: 12);
        return c;
    }

    [Fact]
    public async Task AKillBySignalKeepsASignalDump_AndACleanExitKeepsNone()
    {
        RecordedContainer killed = Start(1, pid: 10, exitCode: 0, signal: 6);
        RecordedContainer clean = Start(2, pid: 20, exitCode: 0);

        _host.Harness.MainExit(clean, pid: 20, waitStatus: 0);
        _host.Harness.MainExit(killed, pid: 10, waitStatus: 6);

        SavedDumpInfo dump = await EventuallyAsync(() => Store.List(new SavedDumpQuery()).SingleOrDefault());
        Assert.Equal(killed.Id, dump.Container!.Id);
        Assert.Equal(DumpTriggerKinds.Signal, dump.Trigger!.Kind);
        Assert.Equal("SIGABRT", dump.Trigger.SignalName);
        // The clean exit was handled before the kill (notices are handled in order): it kept nothing.
        Assert.Single(Store.List(new SavedDumpQuery()));
    }

    [Fact]
    public async Task AFatalSignalIsIgnoredUnlessEnabled()
    {
        RecordedContainer c = Start(3, pid: 30, exitCode: 1);

        _host.Harness.Registry.OnControl(new tl_control { kind = ControlKind.FatalSignal, cgroup_id = c.CgroupId, status = 11, pid = 30 }, c.CgroupPath);
        _host.Harness.MainExit(c, pid: 30, waitStatus: 1 << 8);

        SavedDumpInfo dump = await EventuallyAsync(() => Store.List(new SavedDumpQuery()).SingleOrDefault());
        Assert.Equal(DumpTriggerKinds.Exit, dump.Trigger!.Kind);
        Assert.Single(Store.List(new SavedDumpQuery()));
    }

    [Fact]
    public async Task ACrashOfAContainerThatNeverGotARing_IsARefusalCountedInHealth_NeverAnEmptyDump()
    {
        // Eight slots, all taken by running containers: the ninth gets no ring, and nothing can be evicted for it.
        for (int n = 10; n < 18; n++)
        {
            Start(n, pid: (uint)(100 + n), exitCode: 0);
        }
        RecordedContainer ringless = _host.Harness.Start(RegistryHarness.PodUid(18), RegistryHarness.ContainerId(18));
        Assert.Null(ringless.Ring);
        RecordedContainer saved = _host.Harness.Registry.Find(RegistryHarness.ContainerId(10)).Container!;

        _host.Harness.MainExit(ringless, pid: 118, waitStatus: 11);
        _host.Harness.MainExit(saved, pid: 110, waitStatus: 0);
        _host.Harness.MainExit(_host.Harness.Registry.Find(RegistryHarness.ContainerId(11)).Container!, pid: 111, waitStatus: 11);

        HealthStatus health = await EventuallyAsync(async () =>
            await _host.Client.GetHealthAsync() is { CrashDumps: { Saved: 1 } } h ? h : null);
        Assert.Equal((2L, 1L, 1L, 0L, 0L, 0L), (health.CrashDumps!.Triggered, health.CrashDumps.Saved, health.CrashDumps.NothingRecorded,
            health.CrashDumps.BelowFloor, health.CrashDumps.Failed, health.CrashDumps.NoticesDropped));
        Assert.Equal(RegistryHarness.ContainerId(11), Assert.Single(Store.List(new SavedDumpQuery())).Container!.Id);
        // Every notice was handled: nothing holds the rings any more.
        Assert.All(_host.Harness.Registry.List(), c => Assert.Equal(0, c.AwaitedNotices));
    }

    [Fact]
    public async Task ManyCrashesAtOnce_CopyOneRingAtATime()
    {
        const int crashes = 6;
        int copying = 0, most = 0;
        var containers = new List<(RecordedContainer Container, int Pid)>();
        for (int n = 20; n < 20 + crashes; n++)
        {
            RecordedContainer c = Start(n, pid: (uint)n, exitCode: 0, signal: 11);
            ((FakeRing)c.Ring!).OnSnapshot = () =>
            {
                int now = Interlocked.Increment(ref copying);
                InterlockedMax(ref most, now);
                Thread.Sleep(30); // a large ring takes a while to copy
                Interlocked.Decrement(ref copying);
            };
            containers.Add((c, n));
        }

        foreach ((RecordedContainer c, int pid) in containers)
        {
            _host.Harness.MainExit(c, pid, waitStatus: 11);
        }

        await EventuallyAsync(() => Store.List(new SavedDumpQuery()) is { Count: crashes } all ? all : null);
        Assert.Equal(1, most);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (int seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe) where T : class
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe) where T : class
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }
            await Task.Delay(50, timeout.Token);
        }
    }
}
