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
