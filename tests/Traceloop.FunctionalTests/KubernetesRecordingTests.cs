using System.Net;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The real recorder with a kubeconfig pointing at the fake API server, and real runc
/// containers laid out as the kubelet does: containers known by their Kubernetes names.
/// </summary>
public sealed class KubernetesRecordingTests
{
    private const string Node = "node-a";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AContainerIsNamedByItsPod_FilteredByNamespaceAndLabels_AndDumpedByPodName()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await StartRecorderAsync(api, cts.Token);

        string cid = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var pod = new TestPod("checkout", "shop")
        {
            Node = Node,
            Labels = new Dictionary<string, string> { ["app"] = "checkout", ["tier"] = "web" },
            Containers = [new TestContainer("app", "registry.example/checkout:1.2") { ContainerId = $"containerd://{cid}", RestartCount = 2 }],
        };
        api.AddPod(pod);
        string marker = $"/k8s-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Id = cid, PodUid = pod.Uid, Args = ["cat", marker] }, cts.Token);
        await container.WaitForExitAsync(cts.Token);

        ContainerInfo info = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == cid && c.Namespace is not null),
            TimeSpan.FromSeconds(10), "the container with its pod's names");
        Assert.Equal(("shop", "checkout", "app", "registry.example/checkout:1.2", 2, Node, "regular"),
            (info.Namespace, info.Pod, info.Container, info.Image, info.RestartCount, info.Node, info.ContainerKind));
        Assert.Equal("web", info.Labels!["tier"]);

        Assert.Contains(await List(recorder, "containers?namespace=shop", cts.Token), c => c.Id == cid);
        Assert.DoesNotContain(await List(recorder, "containers?namespace=other", cts.Token), c => c.Id == cid);
        Assert.Contains(await List(recorder, "containers?selector=app%3Dcheckout,tier!%3Ddb", cts.Token), c => c.Id == cid);
        Assert.DoesNotContain(await List(recorder, "containers?selector=app%3Dsomething-else", cts.Token), c => c.Id == cid);
        Assert.Contains(await List(recorder, "containers?pod=checkout&container=app", cts.Token), c => c.Id == cid);
        var bad = await Assert.ThrowsAsync<TraceloopApiException>(() => recorder.Client.SendAsync("containers?selector=env+in+(a,b)", cts.Token));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);

        string text = await Text(recorder, "pods/shop/checkout/dump", cts.Token);
        Assert.Contains($"openat(AT_FDCWD, \"{marker}\", O_RDONLY) = -1 ENOENT", text, StringComparison.Ordinal);
        Assert.Contains("# container " + cid, text, StringComparison.Ordinal);
        Assert.Contains("# pod shop/checkout container app image registry.example/checkout:1.2 restarts 2", text, StringComparison.Ordinal);
        Assert.Contains(marker, await Text(recorder, "pods/shop/checkout/dump?container=app&last=20", cts.Token), StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<TraceloopApiException>(() => recorder.Client.SendAsync("pods/shop/nope/dump", cts.Token));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);

        // The original traceloop's routes.
        string list = await Text(recorder, "list", cts.Token);
        Assert.Contains($"[shop/checkout/app] /sys/fs/cgroup/", list, StringComparison.Ordinal);
        Assert.Contains(container.CgroupPath, list, StringComparison.Ordinal);
        Assert.Contains(marker, await Text(recorder, "dump-by-name?name=shop/checkout/app", cts.Token), StringComparison.Ordinal);
        Assert.Contains(marker, await Text(recorder, $"dump-by-name?name={cid[..12]}", cts.Token), StringComparison.Ordinal);
        string cgroupDir = list.Split('\n').Single(l => l.Contains(cid, StringComparison.Ordinal)).Split("] ")[1];
        Assert.Contains(marker, await Text(recorder, $"dump-by-cgroup?cgroup={Uri.EscapeDataString(cgroupDir)}", cts.Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PodChanges_ShowWithinASecond_AndAContainerSeenFirstIsNamedWhenItsPodArrives()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await StartRecorderAsync(api, cts.Token);

        string cid = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string uid = Guid.NewGuid().ToString();
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Id = cid, PodUid = uid, Args = ["sh", "-c", "exec sleep 30"] }, cts.Token);
        ContainerInfo unnamed = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == cid), TimeSpan.FromSeconds(10), "the container");
        Assert.Null(unnamed.Namespace);

        var pod = new TestPod("late", "jobs")
        {
            Uid = uid,
            Node = Node,
            Labels = new Dictionary<string, string> { ["v"] = "1" },
            Containers = [new TestContainer("worker", "busybox") { ContainerId = $"containerd://{cid}" }],
        };
        api.AddPod(pod);
        await WithinASecond(recorder, cid, c => c.Pod == "late" && c.Container == "worker", "the pod added after the container", cts.Token);
        api.UpdatePod(pod with { Labels = new Dictionary<string, string> { ["v"] = "2" } });
        await WithinASecond(recorder, cid, c => c.Labels?["v"] == "2", "the label change", cts.Token);
        api.DeletePod(pod);
        await WithinASecond(recorder, cid, c => c.Namespace is null, "the pod's deletion", cts.Token);
    }

    [Fact]
    public async Task WhileTheApiServerIsDownFor30Seconds_RecordingGoesOn_AndNamesFollowWhenItIsBack()
    {
        using var cts = new CancellationTokenSource(Timeout + Outage);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await StartRecorderAsync(api, cts.Token);
        await api.StopAsync(cts.Token);
        var down = System.Diagnostics.Stopwatch.StartNew();

        // A container busy through the whole outage: one marker a second, each a failed open.
        string cid = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string uid = Guid.NewGuid().ToString();
        string marker = $"/down-{Guid.NewGuid():N}-";
        int markers = (int)Outage.TotalSeconds + 2;
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec
        {
            Id = cid,
            PodUid = uid,
            Args = ["sh", "-c", $"i=0; while [ $i -lt {markers} ]; do cat {marker}$i; i=$((i+1)); sleep 1; done"],
        }, cts.Token);
        await container.WaitForExitAsync(cts.Token);
        if (down.Elapsed < Outage)
        {
            await Task.Delay(Outage - down.Elapsed, cts.Token);
        }
        string during = await recorder.Client.GetDumpTextAsync(cid, ct: cts.Token);
        for (int i = 0; i < markers; i++)
        {
            Assert.Contains($"{marker}{i}\"", during, StringComparison.Ordinal);
        }

        api.AddPod(new TestPod("offline", "ops")
        {
            Uid = uid,
            Node = Node,
            Containers = [new TestContainer("c", "busybox") { ContainerId = $"containerd://{cid}" }],
        });
        await api.RestartAsync(cts.Token);
        Assert.True(down.Elapsed >= Outage, $"the API server was down {down.Elapsed.TotalSeconds:F0} s");
        ContainerInfo named = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == cid && c.Pod == "offline"),
            TimeSpan.FromSeconds(40), "the names once the API server is back");
        Assert.Equal(0, named.EventsLost);
        string after = await Text(recorder, "pods/ops/offline/dump", cts.Token);
        Assert.Contains($"{marker}0\"", after, StringComparison.Ordinal);
        Assert.Contains($"{marker}{markers - 1}\"", after, StringComparison.Ordinal);
    }

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    // Retries capped at a second (the default is 30 s) so the outage test does not wait long.
    private static Task<RecorderProcess> StartRecorderAsync(ApiServerFixture api, CancellationToken ct) =>
        RecorderProcess.StartAsync(["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node, "--ResyncBackoffMax", "00:00:01"], ct);

    private static async Task WithinASecond(RecorderProcess recorder, string id, Func<ContainerInfo, bool> condition, string what, CancellationToken ct) =>
        await Eventually.TrueAsync(async () =>
            (await recorder.Client.GetContainersAsync(ct)).Find(c => c.Id == id) is { } c && condition(c), TimeSpan.FromSeconds(1), what);

    private static async Task<List<ContainerInfo>> List(RecorderProcess recorder, string path, CancellationToken ct)
    {
        using HttpResponseMessage response = await recorder.Client.SendAsync(path, ct);
        return System.Text.Json.JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(ct), TraceloopJson.Context.ListContainerInfo)!;
    }

    private static async Task<string> Text(RecorderProcess recorder, string path, CancellationToken ct)
    {
        using HttpResponseMessage response = await recorder.Client.SendAsync(path, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }
}
