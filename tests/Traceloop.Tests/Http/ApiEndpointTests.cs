using System.Net;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Store;
using Traceloop.Tests.Containers;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Http;

/// <summary>The container, pod, saved-dump, crash and compatibility endpoints, over the kernel seam.</summary>
public sealed class ApiEndpointTests : IAsyncLifetime
{
    private const int NR_getppid = 110;
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private RecordedContainer Start(int n) => _host.Harness.Start(RegistryHarness.PodUid(n), RegistryHarness.ContainerId(n));

    /// <summary>Writes <paramref name="calls"/> getppid calls (enter and exit) into the container's ring.</summary>
    private static void Getppid(RecordedContainer c, int calls, uint pid = 4242, ulong start = 1000)
    {
        var ring = (FakeRing)c.Ring!;
        for (int i = 0; i < calls; i++)
        {
            ring.Builder.Enter(pid, pid, NR_getppid, start + (ulong)(2 * i));
            ring.Builder.Exit(pid, pid, NR_getppid, 1, start + (ulong)(2 * i) + 1);
        }
    }

    [Fact]
    public async Task TheListingReportsEachRingFromItsCounters_WithoutCopyingAnyRing()
    {
        RecordedContainer busy = Start(1);
        RecordedContainer idle = Start(2);
        Getppid(busy, 10);

        List<ContainerInfo> list = await _host.Client.GetContainersAsync();

        ContainerInfo b = Assert.Single(list, c => c.Id == busy.Id);
        ContainerInfo i = Assert.Single(list, c => c.Id == idle.Id);
        Assert.Equal(20, b.EventsHeld);
        Assert.Equal(0, b.EventsLost);
        Assert.Equal(4096, b.BufferBytes);
        Assert.True(b.BufferFill > 0 && b.BufferFill < 1, $"fill {b.BufferFill}");
        Assert.Equal(0, i.EventsHeld);
        Assert.Null(b.RingError);
        Assert.Equal(0, ((FakeRing)busy.Ring!).Snapshots);
        Assert.Equal(0, ((FakeRing)idle.Ring!).Snapshots);
    }

    [Fact]
    public async Task AWrappedRingsListingCountsWhatWasOverwritten()
    {
        RecordedContainer c = Start(3);
        Getppid(c, 500); // 500 × 96 bytes through a 4 KiB ring

        ContainerInfo info = Assert.Single(await _host.Client.GetContainersAsync());

        Assert.Equal(1.0, info.BufferFill);
        Assert.Equal(1000, info.EventsHeld + info.EventsLost);
        Assert.InRange(info.EventsHeld, 30, 60);
    }

    [Fact]
    public async Task ADumpOfSubRingsThatWrappedApartSaysFromWhenItIsComplete()
    {
        await using ApiHost host = await ApiHost.StartAsync(ringSize: 8192, subRings: 2);
        RecordedContainer c = host.Harness.Start(RegistryHarness.PodUid(9), RegistryHarness.ContainerId(9));
        RingBuilder ring = ((FakeRing)c.Ring!).Builder;
        // CPU 0 makes one call and goes quiet; CPU 1 then goes round its 4 KiB sub-ring twice.
        ring.Cpu = 0;
        ring.Enter(4242, 4242, NR_getppid, 1_000);
        ring.Exit(4242, 4242, NR_getppid, 1, 1_001);
        ring.Cpu = 1;
        for (ulong ts = 2_000; ring.SubHead(1) < 2 * 4096; ts += 2)
        {
            ring.Enter(4242, 4243, NR_getppid, ts);
            ring.Exit(4242, 4243, NR_getppid, 1, ts + 1);
        }

        (DumpHeader header, List<TraceEventDto> events) = await host.Client.GetDumpAsync(c.Id);
        string text = await host.Client.GetDumpTextAsync(c.Id);

        Assert.Equal(4243, events[^1].Tid);
        Assert.Equal(4242, events[0].Tid); // CPU 0's old call is held, before the complete point
        Assert.NotNull(header.CompleteFrom);
        Assert.NotNull(header.WindowStart);
        Assert.True(header.CompleteFrom > header.WindowStart, $"complete from {header.CompleteFrom:O}, window from {header.WindowStart:O}");
        Assert.True(header.EventsLost > 0);
        Assert.Contains("# complete from ", text, StringComparison.Ordinal);
        // The newest 10 events all come after it: nothing to say.
        (DumpHeader last, _) = await host.Client.GetDumpAsync(c.Id, last: 10);
        Assert.Null(last.CompleteFrom);
    }

    [Fact]
    public async Task ARingThatCannotBeReadIsReportedOnItsOwnRow_AndTheRestOfTheListIsServed()
    {
        RecordedContainer broken = Start(4);
        RecordedContainer fine = Start(5);
        Getppid(fine, 3);
        ((FakeRing)broken.Ring!).Builder.WriteHeader(size: 3);

        List<ContainerInfo> list = await _host.Client.GetContainersAsync();

        Assert.Equal(2, list.Count);
        Assert.Contains("not a power of two", Assert.Single(list, c => c.Id == broken.Id).RingError);
        ContainerInfo ok = Assert.Single(list, c => c.Id == fine.Id);
        Assert.Null(ok.RingError);
        Assert.Equal(6, ok.EventsHeld);
    }

    [Fact]
    public async Task ADumpByIdPrefixHasEveryCall_AndBadIdsAreProblemsNotCrashes()
    {
        RecordedContainer c = Start(6);
        Getppid(c, 4);

        (DumpHeader header, List<TraceEventDto> events) = await _host.Client.GetDumpAsync(c.Id[..12]);
        string text = await _host.Client.GetDumpTextAsync(c.Id);

        Assert.Equal(c.Id, header.Container.Id);
        Assert.Equal(4, events.Count);
        Assert.All(events, e => Assert.Equal("getppid", e.Name));
        Assert.Equal(4, text.Split('\n').Count(l => l.Contains("getppid() = 1", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOf($"/containers/XYZ/dump"));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOf($"/containers/abc/dump"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf($"/containers/{new string('f', 64)}/dump"));
    }

    [Fact]
    public async Task AnAmbiguousPrefixIsABadRequestThatSaysSo()
    {
        _host.Harness.Start(RegistryHarness.PodUid(7), "abcd" + new string('1', 60));
        _host.Harness.Start(RegistryHarness.PodUid(8), "abcd" + new string('2', 60));

        TraceloopApiException e = await Assert.ThrowsAsync<TraceloopApiException>(() => _host.Client.SendAsync("/containers/abcd/dump"));

        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.Contains("matches 2 or more containers", e.Message);
    }

    [Fact]
    public async Task APodsContainersAreFoundByTheirKubernetesNames()
    {
        RecordedContainer app = Start(9);
        Getppid(app, 2);
        _host.Pods.Upsert(new PodInfo("shop", "checkout", RegistryHarness.PodUid(9), new Dictionary<string, string> { ["app"] = "checkout" },
            "node-1", "Running", "1", [new ContainerMeta("app", app.Id, "shop/checkout:1", 0, ContainerKind.Regular, null, null)]));

        List<(DumpHeader Header, List<TraceEventDto> Events)> dumps = await _host.Client.GetPodDumpAsync("shop", "checkout", "app");
        List<ContainerInfo> selected = await _host.Client.GetContainersAsync(new ContainerQuery(Selector: "app=checkout"));

        (DumpHeader header, List<TraceEventDto> events) = Assert.Single(dumps);
        Assert.Equal("app", header.Container.Container);
        Assert.Equal(2, events.Count);
        Assert.Equal(app.Id, Assert.Single(selected).Id);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf("/pods/shop/checkout/dump?container=sidecar"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf("/pods/shop/cart/dump"));
    }

    [Fact]
    public async Task ASnapshotIsSaved_Listed_Read_AndRemoved()
    {
        RecordedContainer c = Start(10);
        Getppid(c, 3);

        SavedDumpInfo saved = await _host.Client.SnapshotContainerAsync(c.Id[..8]);
        List<SavedDumpInfo> listed = await _host.Client.GetSavedDumpsAsync();
        (DumpHeader header, List<TraceEventDto> events) = await _host.Client.GetSavedDumpAsync(saved.Id);
        await _host.Client.DeleteSavedDumpAsync(saved.Id);

        Assert.Equal(DumpTriggerKinds.Manual, saved.Trigger!.Kind);
        Assert.Equal(saved.Id, Assert.Single(listed).Id);
        Assert.Equal(c.Id, header.Container.Id);
        Assert.Equal(3, events.Count);
        Assert.Empty(await _host.Client.GetSavedDumpsAsync());
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf($"/dumps/{saved.Id}"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf($"/containers/{new string('e', 64)}/snapshot", HttpMethod.Post));
    }

    [Fact]
    public async Task AGetWhoseDumpWentMeanwhileIsA404_NotA422_AndTheDumpIsNotMarkedCorrupt()
    {
        RecordedContainer c = Start(12);
        Getppid(c, 2);
        SavedDumpInfo saved = await _host.Client.SnapshotContainerAsync(c.Id);
        // What a GET that lost the race to a DELETE or to retention meets: the file is gone.
        File.Delete(_host.Service<DumpStore>().DumpPath(saved.Id));

        Assert.Equal(HttpStatusCode.NotFound, await StatusOf($"/dumps/{saved.Id}"));
        Assert.False(Assert.Single(await _host.Client.GetSavedDumpsAsync()).Corrupt);
    }

    [Fact]
    public async Task AMainProcessThatExitsNonZeroLeavesACrashDump_EndingWithItsExit()
    {
        RecordedContainer c = Start(11);
        Getppid(c, 5, pid: 77);
        ((FakeRing)c.Ring!).Builder.ProcessExit(77, 77, exitCode: 3, isLeader: true, ts: 5000);
        Getppid(c, 2, pid: 78, start: 6000); // another process goes on after the main one ended

        _host.Harness.MainExit(c, pid: 77, waitStatus: 3 << 8);

        SavedDumpInfo crash = await EventuallyAsync(async () => (await _host.Client.GetSavedDumpsAsync()).SingleOrDefault());
        (DumpHeader header, List<TraceEventDto> events) = await _host.Client.GetSavedDumpAsync(crash.Id);
        Assert.Equal(DumpTriggerKinds.Exit, crash.Trigger!.Kind);
        Assert.Equal(3, crash.Trigger.ExitCode);
        Assert.Equal(c.Id, header.Container.Id);
        Assert.Equal(6, events.Count); // five calls and the exit; the other process's later calls are not part of it
    }

    [Fact]
    public async Task HealthAndVersionComeFromTheRegistryAndTheKernel()
    {
        Start(12);

        HealthStatus health = await _host.Client.GetHealthAsync();
        VersionInfo version = await _host.Client.GetVersionAsync();

        Assert.Equal(1, health.Containers);
        Assert.Equal(_host.Harness.Kernel.AttachedPrograms, version.Programs);
        // TLS probing is on by default: its counts are there, and nothing of this fake container is probed.
        Assert.NotNull(version.Tls);
        Assert.Equal(0, version.Tls.FilesProbed);
    }

    [Fact]
    public async Task TheOriginalTraceloopRoutesFindContainersByCgroupAndName()
    {
        RecordedContainer c = Start(13);
        Getppid(c, 1);

        string list = await TextOf("/list");
        string byCgroup = await TextOf($"/dump-by-cgroup?cgroup={Uri.EscapeDataString(_host.Harness.Cgroups.ToDirectory(c.CgroupPath))}");
        string byName = await TextOf($"/dump-by-name?name={c.Id[..10]}");

        Assert.Equal($"0: [{c.Id}] {_host.Harness.Cgroups.ToDirectory(c.CgroupPath)}\n", list);
        Assert.Contains("getppid() = 1", byCgroup);
        Assert.Contains("getppid() = 1", byName);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf("/dump-by-cgroup?cgroup=/nope"));
    }

    /// <summary>The status of a request that must fail (the client throws for any error status).</summary>
    private async Task<HttpStatusCode?> StatusOf(string path, HttpMethod? method = null)
    {
        TraceloopApiException e = await Assert.ThrowsAsync<TraceloopApiException>(() => _host.Client.SendAsync(method ?? HttpMethod.Get, path));
        return e.Status;
    }

    private async Task<string> TextOf(string path)
    {
        using HttpResponseMessage response = await _host.Client.SendAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
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
}
