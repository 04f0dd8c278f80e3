using System.Globalization;
using Microsoft.Extensions.Logging;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>The pod watcher against a fake API server that speaks the real list/watch protocol.</summary>
public sealed class PodWatcherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task PodsAddedModifiedAndDeleted_ShowInTheCacheWithinASecond()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        TestPod before = TestPod.Running("before", "node-1");
        server.AddPod(before);
        await using WatcherHarness h = await WatcherHarness.SyncedAsync(server, cts.Token);
        Assert.True(h.Cache.TryGetByPodUid(before.Uid, out _));
        Assert.Equal(PodWatcherState.Watching, h.Watcher.State);

        TestPod added = TestPod.Running("web-0", "node-1", ns: "shop");
        string firstId = added.Containers[0].ContainerId!;
        server.AddPod(added);
        await h.WaitUntilAsync(() => h.Cache.TryGetByPodUid(added.Uid, out _), OneSecond, "the added pod");
        Assert.True(h.Cache.TryGetByContainerId(firstId, out PodInfo? pod, out ContainerMeta? container));
        Assert.Equal(("shop", "web-0", "app"), (pod.Namespace, pod.Name, container.Name));

        // The kubelet restarts the container after an OOM kill: new id, the old one in lastState.
        string secondId = TestPod.NewContainerId();
        TestPod restarted = added with
        {
            Labels = new Dictionary<string, string> { ["app"] = "web", ["version"] = "2" },
            Containers = [added.Containers[0] with { ContainerId = secondId, RestartCount = 1, LastTerminated = new TestTermination(137, "OOMKilled", ContainerId: firstId) }],
        };
        server.UpdatePod(restarted);
        await h.WaitUntilAsync(() => h.Cache.TryGetByPodUid(added.Uid, out PodInfo? p) && p.Containers[0].RestartCount == 1, OneSecond, "the modified pod");
        Assert.True(h.Cache.TryGetByContainerId(secondId, out pod, out container));
        Assert.Equal("2", pod.Labels["version"]);
        Assert.Equal(secondId["containerd://".Length..], container.ContainerId);
        Assert.Equal(137, container.LastTerminated?.ExitCode);
        Assert.Equal("OOMKilled", container.LastTerminated?.Reason);
        Assert.True(h.Cache.TryGetByContainerId(firstId, out _, out ContainerMeta? previous), "the previous instance's id still finds its container");
        Assert.Equal(container, previous);

        server.DeletePod(restarted);
        // The change is announced after the cache shows it: wait for the announcement.
        await h.WaitUntilAsync(() => h.Changes.Any(c => c.Pod.Uid == added.Uid && c.Kind == PodChangeKind.Removed), OneSecond, "the deleted pod to go");
        Assert.False(h.Cache.TryGetByPodUid(added.Uid, out _));
        Assert.False(h.Cache.TryGetByContainerId(secondId, out _, out _));
        Assert.False(h.Cache.TryGetByContainerId(firstId, out _, out _));
        Assert.Equal([PodChangeKind.Added, PodChangeKind.Updated, PodChangeKind.Removed],
            h.Changes.Where(c => c.Pod.Uid == added.Uid).Select(c => c.Kind));
        Assert.Equal(1, h.Metrics.Lists);
        Assert.Equal(1, server.Requests.Count(RequestKind.List));
    }

    [Fact]
    public async Task OnlyThisNodesPods_AreCached_IncludingOnesScheduledHereLater()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        server.AddPod(TestPod.Running("mine", "node-1"));
        server.AddPod(TestPod.Running("theirs", "node-2"));
        var pending = new TestPod("pending") { Phase = "Pending", Containers = [new TestContainer("app", "busybox:1.36")] };
        server.AddPod(pending);
        await using WatcherHarness h = await WatcherHarness.SyncedAsync(server, cts.Token);
        Assert.Equal(["mine"], h.Cache.Pods.Select(p => p.Name));

        server.AddPod(TestPod.Running("theirs-2", "node-2"));
        server.AddPod(TestPod.Running("mine-2", "node-1"));
        await h.WaitUntilAsync(() => h.Cache.Pods.Any(p => p.Name == "mine-2"), OneSecond, "mine-2");
        // Events arrive in order: had theirs-2 been sent, it would be here before mine-2.
        Assert.DoesNotContain(h.Cache.Pods, p => p.Name == "theirs-2");

        // The scheduler binds the pending pod here: it enters the selection as ADDED.
        server.UpdatePod(pending with { Node = "node-1", Phase = "Running", Containers = [pending.Containers[0] with { ContainerId = TestPod.NewContainerId("cri-o") }] });
        await h.WaitUntilAsync(() => h.Cache.TryGetByPodUid(pending.Uid, out _), OneSecond, "the pod scheduled onto this node");
        Assert.Equal(["mine", "mine-2", "pending"], h.Cache.Pods.Select(p => p.Name).Order());
        Assert.All(server.Requests.All.Where(r => r.Kind is RequestKind.List or RequestKind.Watch),
            r => Assert.Equal("spec.nodeName=node-1", r["fieldSelector"]));
    }

    [Fact]
    public async Task Bookmarks_AdvanceTheResourceVersion_ThatAResumedWatchStartsFrom()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        server.AddPod(TestPod.Running("mine", "node-1"));
        await using WatcherHarness h = await WatcherHarness.SyncedAsync(server, cts.Token);

        // Changes elsewhere move the resource version on without an event for this node.
        server.AddPod(TestPod.Running("theirs", "node-2"));
        server.Pods.Touch();
        string current = server.Pods.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        Assert.NotEqual(current, h.Metrics.ResourceVersion);
        server.SendBookmark();
        await h.WaitUntilAsync(() => h.Metrics.ResourceVersion == current, OneSecond, "the bookmark's resource version");
        Assert.Equal(1, h.Metrics.Bookmarks);

        Assert.Equal(1, server.DropWatches());
        await h.WaitUntilAsync(() => server.Requests.Succeeded(RequestKind.Watch) == 2, TimeSpan.FromSeconds(5), "the watch to resume");
        ApiRequest resumed = server.Requests.Of(RequestKind.Watch)[^1];
        Assert.Equal(current, resumed["resourceVersion"]);
        Assert.Equal("true", resumed["allowWatchBookmarks"]);
        Assert.Equal(1, server.Requests.Count(RequestKind.List));
    }

    public enum GoneAs
    {
        HttpStatusOnTheWatchRequest,
        ErrorEventAtTheStartOfTheWatch,
        ErrorEventInAnOpenWatch,
    }

    [Theory]
    [InlineData(GoneAs.HttpStatusOnTheWatchRequest)]
    [InlineData(GoneAs.ErrorEventAtTheStartOfTheWatch)]
    [InlineData(GoneAs.ErrorEventInAnOpenWatch)]
    public async Task AWatchEndedBy410Gone_RelistsWithoutLosingAPod_AndDropsPodsDeletedInTheGap(GoneAs how)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        TestPod stays = TestPod.Running("stays", "node-1");
        TestPod goes = TestPod.Running("goes", "node-1");
        server.AddPod(stays);
        server.AddPod(goes);
        await using WatcherHarness h = await WatcherHarness.SyncedAsync(server, cts.Token);

        // A gap: the watcher misses these, and compaction makes them unrecoverable from history.
        server.Pods.HoldWatchEvents = true;
        server.DeletePod(goes);
        TestPod comes = TestPod.Running("comes", "node-1");
        server.AddPod(comes);
        server.GoneAsErrorEvent = how == GoneAs.ErrorEventAtTheStartOfTheWatch;
        server.Compact(expireOpenWatches: how == GoneAs.ErrorEventInAnOpenWatch);
        server.Pods.HoldWatchEvents = false;
        if (how != GoneAs.ErrorEventInAnOpenWatch)
        {
            server.DropWatches();
        }

        await h.WaitUntilAsync(() => h.Metrics.Lists == 2 && h.Cache.TryGetByPodUid(comes.Uid, out _), TimeSpan.FromSeconds(5), "the re-list");
        Assert.Equal(["comes", "stays"], h.Cache.Pods.Select(p => p.Name).Order());
        Assert.Equal(1, h.Metrics.Gone);
        Assert.Equal(2, server.Requests.Succeeded(RequestKind.List));
        // The first list may come from the watch cache; the one after a 410 is a consistent read.
        Assert.Equal(["0", null], server.Requests.Of(RequestKind.List).Select(r => r["resourceVersion"]));
        Assert.DoesNotContain(h.Changes, c => c.Pod.Uid == stays.Uid && c.Kind == PodChangeKind.Removed);
        Assert.Contains(h.Changes, c => c.Pod.Uid == goes.Uid && c.Kind == PodChangeKind.Removed);
        Assert.Contains(h.Log.Entries, e => e.Id.Id == 403 && e.Message.Contains("410 Gone", StringComparison.Ordinal));
        if (how == GoneAs.HttpStatusOnTheWatchRequest)
        {
            Assert.Contains(server.Requests.Of(RequestKind.Watch), r => r.Status == 410);
        }

        // And it goes on watching from the new list.
        TestPod after = TestPod.Running("after", "node-1");
        server.AddPod(after);
        await h.WaitUntilAsync(() => h.Cache.TryGetByPodUid(after.Uid, out _), OneSecond, "a pod added after the re-list");
    }

    [Fact]
    public async Task AnAbruptlyDroppedWatch_ResumesFromTheLastResourceVersion_WithoutARelist()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        await using WatcherHarness h = await WatcherHarness.SyncedAsync(server, cts.Token);
        TestPod x = TestPod.Running("x", "node-1");
        server.AddPod(x);
        string last = server.Pods.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        // The resource version is recorded just after the pod is cached.
        await h.WaitUntilAsync(() => h.Cache.TryGetByPodUid(x.Uid, out _) && h.Metrics.ResourceVersion == last, OneSecond, "x");

        Assert.Equal(1, server.DropWatches());
        TestPod y = TestPod.Running("y", "node-1");
        server.AddPod(y);

        await h.WaitUntilAsync(() => h.Cache.TryGetByPodUid(y.Uid, out _), TimeSpan.FromSeconds(3), "y, after the watch resumed");
        Assert.Equal(1, server.Requests.Count(RequestKind.List));
        Assert.Equal(1, h.Metrics.Lists);
        IReadOnlyList<ApiRequest> watches = server.Requests.Of(RequestKind.Watch);
        Assert.Equal(2, watches.Count);
        Assert.Equal(last, watches[1]["resourceVersion"]);
        Assert.True(h.Metrics.Reconnects >= 1);
    }

    [Fact]
    public async Task AnApiServerDownForSeconds_IsRetriedWithBackoff_AndCaughtUpWithWhenBack()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        TestPod a = TestPod.Running("a", "node-1");
        server.AddPod(a);
        await using WatcherHarness h = await WatcherHarness.SyncedAsync(server, cts.Token);

        await server.StopAsync(cts.Token);
        TestPod z = TestPod.Running("z", "node-1");
        server.AddPod(z);
        server.DeletePod(a);
        // The outage itself: nothing to wait for but time.
        await Task.Delay(TimeSpan.FromSeconds(5), cts.Token);
        Assert.Equal(PodWatcherState.Retrying, h.Watcher.State);
        Assert.NotNull(h.Metrics.LastError);
        long retries = h.Metrics.Reconnects;
        // 100 ms doubling to a 1 s cap, jittered: some 6 to 10 tries in 5 s, not hundreds.
        Assert.InRange(retries, 3, 15);
        Assert.True(h.Cache.TryGetByPodUid(a.Uid, out _), "metadata stays while the API server is away");
        int failureLines = h.Log.Entries.Count(e => e.Id.Id == 406);
        Assert.InRange(failureLines, 1, 5);

        await server.RestartAsync(cts.Token);
        await h.WaitUntilAsync(() => h.Cache.TryGetByPodUid(z.Uid, out _) && !h.Cache.TryGetByPodUid(a.Uid, out _), TimeSpan.FromSeconds(5), "the changes made while away");
        Assert.Equal(1, server.Requests.Count(RequestKind.List));
        Assert.Equal(PodWatcherState.Watching, h.Watcher.State);
        Assert.Contains(h.Log.Entries, e => e.Id.Id == 407);
    }

    [Fact]
    public async Task InCluster_TheServiceAccountTokenAndCaAreUsed_AndNodeNameComesFromTheEnvironment()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        TestPod pod = TestPod.Running("p", "node-7");
        server.AddPod(pod);
        Dictionary<string, string> env = server.InClusterVariables();
        env["NODE_NAME"] = "node-7";
        KubernetesOptions options = WatcherHarness.Options(serviceAccountDir: server.CreateServiceAccountDir());
        options.NodeName = null;

        await using WatcherHarness h = await WatcherHarness.StartAsync(options, KubernetesEnvironment.From(env), cts.Token);
        await h.Watcher.Synced.WaitAsync(TimeSpan.FromSeconds(5), cts.Token);

        Assert.Equal(KubernetesMode.InCluster, h.Watcher.Mode);
        Assert.True(h.Cache.TryGetByPodUid(pod.Uid, out _));
        Assert.Equal("spec.nodeName=node-7", server.Requests.Of(RequestKind.List)[0]["fieldSelector"]);
        Assert.Contains(h.Log.Entries, e => e.Id.Id == 401 && e.Message.Contains("in-cluster service account", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AKubeconfigFromTheEnvironment_IsUsed()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        TestPod pod = TestPod.Running("p", "node-1");
        server.AddPod(pod);
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent/config:" + server.WriteKubeconfig() };

        await using WatcherHarness h = await WatcherHarness.StartAsync(WatcherHarness.Options(), KubernetesEnvironment.From(env), cts.Token);
        await h.Watcher.Synced.WaitAsync(TimeSpan.FromSeconds(5), cts.Token);

        Assert.Equal(KubernetesMode.Kubeconfig, h.Watcher.Mode);
        Assert.True(h.Cache.TryGetByPodUid(pod.Uid, out _));
    }

    [Fact]
    public async Task AWrongToken_IsLoggedClearly_AndRetriedWithGrowingDelays_NotACrash()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        server.AddPod(TestPod.Running("p", "node-1"));
        await using WatcherHarness h = await WatcherHarness.StartAsync(
            WatcherHarness.Options(kubeconfig: server.WriteKubeconfig(token: "expired-token")), null, cts.Token);

        await h.WaitUntilAsync(() => server.Requests.Count(RequestKind.List) >= 4, TimeSpan.FromSeconds(5), "four list attempts");
        IReadOnlyList<ApiRequest> lists = server.Requests.Of(RequestKind.List);
        Assert.All(lists, r => Assert.Equal(401, r.Status));
        // Equal jitter keeps the steps apart: 50-100 ms, 100-200 ms, 200-400 ms.
        Assert.True(lists[3].At - lists[2].At > lists[1].At - lists[0].At,
            $"delays should grow: {string.Join(", ", lists.Zip(lists.Skip(1), (p, n) => (n.At - p.At).TotalMilliseconds))} ms");
        Assert.False(h.Watcher.ExecuteTask!.IsCompleted);
        Assert.False(h.Watcher.Synced.IsCompleted);
        Assert.Contains("401", h.Metrics.LastError, StringComparison.Ordinal);
        (LogLevel level, _, string message) = h.Log.Entries.First(e => e.Id.Id == 404);
        Assert.Equal(LogLevel.Error, level);
        Assert.Contains("refused the recorder's credentials (401 Unauthorized", message, StringComparison.Ordinal);

        // Once the credentials are right, it recovers by itself.
        server.Token = "expired-token";
        await h.Watcher.Synced.WaitAsync(TimeSpan.FromSeconds(5), cts.Token);
    }

    [Fact]
    public async Task Forbidden_IsLoggedWithTheRbacRuleItNeeds()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        server.Forbid("/api/v1/pods");
        await using WatcherHarness h = await WatcherHarness.StartAsync(WatcherHarness.Options(kubeconfig: server.WriteKubeconfig()), null, cts.Token);

        await h.WaitUntilAsync(() => h.Log.Entries.Any(e => e.Id.Id == 405), TimeSpan.FromSeconds(5), "the 403 to be logged");
        string message = h.Log.Entries.First(e => e.Id.Id == 405).Message;
        Assert.Contains("needs get, list and watch on pods", message, StringComparison.Ordinal);
        Assert.Contains("cannot list resource \"pods\"", message, StringComparison.Ordinal);

        server.Allow("/api/v1/pods");
        await h.Watcher.Synced.WaitAsync(TimeSpan.FromSeconds(5), cts.Token);
    }

    [Fact]
    public async Task LocalMode_IsDisabled_AndMakesNoRequest()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        // The service's address is set but no service-account token is mounted: not in a pod
        // that may talk to the API (automountServiceAccountToken: false), so local mode.
        KubernetesOptions options = WatcherHarness.Options();
        options.NodeName = null;

        await using WatcherHarness h = await WatcherHarness.StartAsync(options, KubernetesEnvironment.From(server.InClusterVariables()), cts.Token);

        Assert.Equal(PodWatcherState.Disabled, h.Watcher.State);
        Assert.False(h.Watcher.IsEnabled);
        Assert.True(h.Watcher.Synced.IsCompletedSuccessfully);
        Assert.Null(h.Watcher.ExecuteTask);
        Assert.Empty(server.Requests.All);
        Assert.Contains(h.Log.Entries, e => e.Id.Id == 400);
        Assert.DoesNotContain(h.Log.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task WithKubernetesButNoNodeName_TheStartFailsWithTheReason()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        KubernetesOptions options = WatcherHarness.Options(kubeconfig: server.WriteKubeconfig());
        options.NodeName = null;

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => WatcherHarness.StartAsync(options, null, cts.Token));

        Assert.Contains("NodeName is required", e.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests.All);
    }

    [Fact]
    public async Task AThrowingChangeHandler_IsLogged_AndTheCacheKeepsFollowing()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture server = await ApiServerFixture.StartAsync(cts.Token);
        await using WatcherHarness h = await WatcherHarness.SyncedAsync(server, cts.Token);
        h.Cache.Changed += _ => throw new InvalidOperationException("handler bug");

        TestPod first = TestPod.Running("first", "node-1");
        TestPod second = TestPod.Running("second", "node-1");
        server.AddPod(first);
        server.AddPod(second);

        await h.WaitUntilAsync(() => h.Log.Entries.Count(e => e.Id.Id == 409) == 2, OneSecond, "both failures to be logged");
        Assert.True(h.Cache.TryGetByPodUid(first.Uid, out _));
        Assert.True(h.Cache.TryGetByPodUid(second.Uid, out _));
        Assert.Equal(1, h.Metrics.WatchesStarted);
    }
}
