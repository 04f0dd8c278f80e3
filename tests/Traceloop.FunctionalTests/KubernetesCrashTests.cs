using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>Crash collection with Kubernetes: dumps named by their pod, the kubelet's report, Events, crash loops.</summary>
public sealed partial class KubernetesCrashTests(ITestOutputHelper output)
{
    private const string Node = "node-a";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ACrashLoopOf50_StaysWithinRetention_AndEmitsABoundedNumberOfEventsThatCountEveryDump()
    {
        const int crashes = 50, perContainer = 5;
        TimeSpan interval = TimeSpan.FromSeconds(5);
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node, "--dumps-per-container", $"{perContainer}",
             "--dump-event-interval", interval.ToString(), "--KubeletReportTimeout", "00:00:05"], cts.Token);

        var pod = new TestPod("crasher", "loop") { Node = Node, Containers = [new TestContainer("app", "busybox")] };
        api.AddPod(pod);
        var started = DateTimeOffset.UtcNow;
        string? previous = null;
        for (int i = 0; i < crashes; i++)
        {
            string cid = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            // As the kubelet does: the new instance's id, and how the previous one ended.
            api.UpdatePod(pod with { Containers = [Restarted(cid, i, previous)] });
            await using RuncContainer container = await RuncContainer.CreateAsync(
                new ContainerSpec { Id = cid, PodUid = pod.Uid, Args = ["sh", "-c", "exit 1"] }, cts.Token);
            // On a loaded machine the watcher can lag the crash; a node's crash loop is paced by the kubelet's backoff.
            await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == cid && c.Container == "app"),
                TimeSpan.FromSeconds(15), "the new instance named by its pod");
            await container.StartAsync(cts.Token);
            Assert.Equal(1, await container.WaitForExitAsync(cts.Token));
            previous = cid;
        }
        api.UpdatePod(pod with { Containers = [Restarted(TestPod.NewContainerId()[13..], crashes, previous)] });
        TimeSpan looped = DateTimeOffset.UtcNow - started;

        // Every dump is counted by exactly one Event, however many were held back.
        await Eventually.TrueAsync(() => Task.FromResult(DumpEvents(api).Sum(e => (int)e["count"]!) == crashes),
            interval * 2 + TimeSpan.FromSeconds(20), $"Events counting all {crashes} dumps");
        List<JsonObject> events = DumpEvents(api);
        TimeSpan elapsed = DateTimeOffset.UtcNow - started;
        output.WriteLine($"{crashes} crashes in {looped.TotalSeconds:0.0} s: {events.Count} Events in {elapsed.TotalSeconds:0.0} s; " +
            string.Join(" | ", events.Select(e => $"{e["count"]}: {e["message"]}")));
        Assert.InRange(events.Count, 2, (int)(elapsed / interval) + 2);
        foreach (JsonObject e in events)
        {
            Assert.Equal(("Pod", "crasher", "loop", pod.Uid, "spec.containers{app}", "Warning"),
                ((string?)e["involvedObject"]!["kind"], (string?)e["involvedObject"]!["name"], (string?)e["involvedObject"]!["namespace"],
                 (string?)e["involvedObject"]!["uid"], (string?)e["involvedObject"]!["fieldPath"], (string?)e["type"]));
            Assert.Equal("loop", (string?)e["metadata"]!["namespace"]);
        }
        Assert.Matches(FirstMessage(), (string)events[0]["message"]!);
        Assert.Contains(events.Skip(1), e => AggregatedMessage().IsMatch((string)e["message"]!));

        List<SavedDumpInfo> kept = await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery("loop", "crasher", "app"), cts.Token);
        Assert.Equal(perContainer, kept.Count);
        // Every recorder records every container on the host, other tests' too: count this pod's.
        List<SavedDumpInfo> all = await recorder.Client.GetSavedDumpsAsync(ct: cts.Token);
        Assert.Equal(kept.Select(d => d.Id), all.Where(d => d.Container?.PodUid == pod.Uid).Select(d => d.Id));
        // What retention removed is gone from the disk, not just from the list.
        Assert.Equal(all.Select(d => d.Id + ".msgpack.lz4").Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Join(recorder.DataDir, "dumps"), "*.msgpack.lz4").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(all.Count, Directory.GetFiles(Path.Join(recorder.DataDir, "dumps"), "*.meta.json").Length);
        // The newest are kept, and each carries what the kubelet reported about its end.
        Assert.Equal(previous, kept[0].Container!.Id);
        SavedDumpInfo last = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery("loop", "crasher", "app"), cts.Token))[0] is { Trigger.KubernetesReason: "Error" } d ? d : null,
            TimeSpan.FromSeconds(15), "the kubelet's report on the last crash");
        Assert.Equal((DumpTriggerKinds.Exit, 1, "Error", 1), (last.Trigger!.Kind, last.Trigger.ExitCode, last.Trigger.KubernetesReason, last.Trigger.KubernetesExitCode));
        Assert.Contains("kubelet reports Error (exit code 1)", await Text(recorder, $"dumps/{last.Id}?format=text", cts.Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APodSnapshot_KeepsOneDumpPerContainer_NamedByThePod_AndAnnouncedOnIt()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node], cts.Token);
        string web = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string side = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var pod = new TestPod("shop", "prod")
        {
            Node = Node,
            Containers = [new TestContainer("web", "nginx") { ContainerId = $"containerd://{web}" }, new TestContainer("side", "envoy") { ContainerId = $"containerd://{side}" }],
        };
        api.AddPod(pod);
        await using RuncContainer a = await RuncContainer.RunAsync(new ContainerSpec { Id = web, PodUid = pod.Uid, Args = ["sleep", "60"] }, cts.Token);
        await using RuncContainer b = await RuncContainer.RunAsync(new ContainerSpec { Id = side, PodUid = pod.Uid, Args = ["sleep", "60"] }, cts.Token);
        await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Count(c => c.Pod == "shop" && c.Container is not null) == 2,
            TimeSpan.FromSeconds(15), "both containers named");

        List<SavedDumpInfo> both = await recorder.Client.SnapshotPodAsync("prod", "shop", ct: cts.Token);
        Assert.Equal(["side", "web"], both.Select(d => d.Container!.Container!).Order());
        Assert.All(both, d => Assert.Equal((DumpTriggerKinds.Manual, "prod", "shop"), (d.Trigger!.Kind, d.Container!.Namespace, d.Container.Pod)));
        // The cluster's name for the node, which `kubectl traceloop get --node` takes; not the host name.
        Assert.All(both, d => Assert.Equal(Node, d.Node));
        List<SavedDumpInfo> one = await recorder.Client.SnapshotPodAsync("prod", "shop", "web", cts.Token);
        Assert.Equal(web, Assert.Single(one).Container!.Id);
        Assert.Equal(2, (await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery(Container: "web"), cts.Token)).Count);
        Assert.Empty(await recorder.Client.GetSavedDumpsAsync(new SavedDumpQuery(Namespace: "other"), cts.Token));
        var missing = await Assert.ThrowsAsync<TraceloopApiException>(() => recorder.Client.SnapshotPodAsync("prod", "shop", "nope", cts.Token));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);

        await Eventually.TrueAsync(() => Task.FromResult(DumpEvents(api).Count >= 2), TimeSpan.FromSeconds(15), "an Event per container");
        Assert.All(DumpEvents(api), e => Assert.Matches(@"^\d+ syscalls saved on request; kubectl traceloop get \d{8}T\d{9}Z-[0-9a-f]{8}$", (string)e["message"]!));
        Assert.All(DumpEvents(api), e => Assert.Equal("Normal", (string?)e["type"]));
    }

    private static TestContainer Restarted(string cid, int restarts, string? previous) => new("app", "busybox")
    {
        ContainerId = $"containerd://{cid}",
        RestartCount = restarts,
        LastTerminated = previous is null ? null : new TestTermination(1, "Error", ContainerId: $"containerd://{previous}"),
    };

    private static List<JsonObject> DumpEvents(ApiServerFixture api) =>
        [.. api.Pods.Events.Where(e => (string?)e["reason"] == "TraceloopDump")];

    private static async Task<string> Text(RecorderProcess recorder, string path, CancellationToken ct)
    {
        using HttpResponseMessage response = await recorder.Client.SendAsync(path, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    [GeneratedRegex(@"^\d+ syscalls before exit code 1; kubectl traceloop get \d{8}T\d{9}Z-[0-9a-f]{8}$")]
    private static partial Regex FirstMessage();

    [GeneratedRegex(@"^\d+ dumps since \d\d:\d\d:\d\dZ, latest: \d+ syscalls before exit code 1; kubectl traceloop get ")]
    private static partial Regex AggregatedMessage();
}
