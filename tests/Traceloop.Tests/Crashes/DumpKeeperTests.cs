using System.Net;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Store;
using Traceloop.Tests.Containers;
using Traceloop.Tests.Http;

namespace Traceloop.Tests.Crashes;

/// <summary>The dump keeper over the kernel seam: what a kept dump holds, and what it does when the disk is below its floor.</summary>
public sealed class DumpKeeperTests
{
    private static RecordedContainer StartWithCalls(ApiHost host, int n, int calls)
    {
        RecordedContainer c = host.Harness.Start(RegistryHarness.PodUid(n), RegistryHarness.ContainerId(n));
        var ring = (FakeRing)c.Ring!;
        for (int i = 0; i < calls; i++)
        {
            ring.Builder.Enter(9, 9, 39, (ulong)(100 + 2 * i));
            ring.Builder.Exit(9, 9, 39, 9, (ulong)(101 + 2 * i));
        }
        return c;
    }

    [Fact]
    public async Task AKeptDumpHoldsTheRingAndTheNamesKnownWhenItWasTaken()
    {
        await using ApiHost host = await ApiHost.StartAsync();
        RecordedContainer c = StartWithCalls(host, 1, calls: 7);
        host.Pods.Upsert(new PodInfo("shop", "cart", RegistryHarness.PodUid(1), new Dictionary<string, string>(), "node-1", "Running", "1",
            [new ContainerMeta("api", c.Id, "shop/cart:2", 1, ContainerKind.Regular, null, null)]));

        SaveOutcome outcome = await host.Service<DumpKeeper>().KeepAsync(c, new DumpTrigger { Kind = DumpTriggerKinds.Manual }, endedPid: null, CancellationToken.None);

        SavedDumpInfo saved = Assert.IsType<SavedDumpInfo>(outcome.Saved);
        Assert.Equal(7, saved.Events);
        Assert.Equal("shop/cart/api", saved.Container!.DisplayName);
        Assert.Equal(1, saved.Container.RestartCount);
        (DumpHeader header, List<TraceEventDto> events) = await host.Client.GetSavedDumpAsync(saved.Id);
        Assert.Equal(saved.Id, header.DumpId);
        Assert.All(events, e => Assert.Equal("getpid", e.Name));
    }

    [Fact]
    public async Task BelowTheFreeSpaceFloorNothingIsWritten_AndASnapshotIsA507SayingWhy()
    {
        await using ApiHost host = await ApiHost.StartAsync(new Dictionary<string, string?> { ["DumpsMinFreeBytes"] = "1000000G" });
        RecordedContainer c = StartWithCalls(host, 2, calls: 2);

        TraceloopApiException e = await Assert.ThrowsAsync<TraceloopApiException>(() => host.Client.SnapshotContainerAsync(c.Id));

        Assert.Equal(HttpStatusCode.InsufficientStorage, e.Status);
        Assert.Contains("free", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(host.Service<DumpStore>().List(new SavedDumpQuery()));
    }

    [Fact]
    public async Task ACrashNoticeWhoseRingWasReleasedIsCountedAndLogged_NeverSavedEmpty()
    {
        await using ApiHost host = await ApiHost.StartAsync();
        RecordedContainer c = StartWithCalls(host, 3, calls: 3);
        var keeper = host.Service<DumpKeeper>();
        // The notice was queued; the pod went (or its slot was evicted) before it was handled.
        Assert.Equal(1, host.Harness.Registry.ReleasePod(RegistryHarness.PodUid(3)));
        Assert.Null(c.Ring);

        SaveOutcome outcome = await keeper.KeepAsync(c, new DumpTrigger { Kind = DumpTriggerKinds.Signal, Signal = 11, SignalName = "SIGSEGV" }, endedPid: 9,
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(outcome.Saved);
        Assert.True(outcome.NothingRecorded);
        Assert.Contains(c.Id, outcome.Refusal, StringComparison.Ordinal);
        Assert.Equal(1, keeper.NothingRecorded);
        Assert.Empty(host.Service<DumpStore>().List(new SavedDumpQuery()));
        Assert.Empty(Directory.GetFiles(host.Service<DumpStore>().Directory));
    }

    [Fact]
    public async Task ACrashWhoseRingHoldsNothing_IsARefusal_NeverAnEmptyDump()
    {
        await using ApiHost host = await ApiHost.StartAsync();
        // Its ring came after its events (a late ring while every slot was taken): nothing is in it.
        RecordedContainer c = StartWithCalls(host, 4, calls: 0);
        var keeper = host.Service<DumpKeeper>();

        SaveOutcome outcome = await keeper.KeepAsync(c, new DumpTrigger { Kind = DumpTriggerKinds.Signal, Signal = 11, SignalName = "SIGSEGV" }, endedPid: null,
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(outcome.Saved);
        Assert.True(outcome.NothingRecorded);
        Assert.Contains("its ring came after its events", outcome.Refusal, StringComparison.Ordinal);
        Assert.Equal(1, keeper.NothingRecorded);
        Assert.Empty(host.Service<DumpStore>().List(new SavedDumpQuery()));
    }
}
