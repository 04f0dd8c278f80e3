using System.Text.Json;
using System.Text.Json.Nodes;
using Traceloop.Api;
using Traceloop.FunctionalTests.Gateway;
using Traceloop.FunctionalTests.Kubernetes;

namespace Traceloop.FunctionalTests.Kubectl;

/// <summary>
/// The built kubectl-traceloop, run by the real kubectl as alice (traceloop-viewer in shop), bob
/// (no role) and admin, through the fake API server's aggregation layer to the real gateway, the
/// real recorder and real runc containers (<see cref="AggregatedApiScene"/>): every call is the
/// user's own, authorized per namespace, and nothing execs into anything.
/// </summary>
public sealed class KubectlPluginTests(AggregatedApiScene scene) : IClassFixture<AggregatedApiScene>
{
    [Fact]
    public async Task TheRealKubectl_ListsThePlugin_AndRunsItsHelp()
    {
        using var run = new PluginRun(kubeconfig: null);

        PluginResult list = await run.RunAsync(PluginRun.KubectlPath(), ["plugin", "list"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(Path.Join(run.PluginDir, "kubectl-traceloop"), list.Output, StringComparison.Ordinal);

        PluginResult help = await run.KubectlAsync("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (string command in (string[])["ls", "dump <pod>", "crashes", "get <dump-id>", "snapshot <pod>", "rm <dump-id>"])
        {
            Assert.Contains(command, help.Output, StringComparison.Ordinal);
        }
        Assert.Contains("traceloop-viewer", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("exec", help.Output, StringComparison.Ordinal);
        Assert.Contains("--all-namespaces", (await run.KubectlAsync("ls", "--help")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alice_DumpsAShopPod_AndIsRefusedAKubeSystemPod_WithTheMissingPermissionNamed()
    {
        using var alice = As("alice");

        PluginResult dump = await alice.KubectlAsync("dump", "web", "-n", "shop");
        Assert.True(dump.ExitCode == 0, dump.ToString() + scene.Gateway.Output);
        Assert.Contains(AggregatedApiScene.Marker(scene.Shop), dump.Output, StringComparison.Ordinal);
        Assert.Contains("# pod shop/web container app", dump.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(AggregatedApiScene.Marker(scene.System), dump.Output, StringComparison.Ordinal);

        PluginResult last = await alice.KubectlAsync("dump", "web", "-n", "shop", "-c", "app", "--last", "5", "-o", "json");
        Assert.True(last.ExitCode == 0, last.ToString());
        string[] lines = last.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 1, 5);
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));

        PluginResult refused = await alice.KubectlAsync("dump", "dns", "-n", "kube-system");
        AssertFailed(refused, "error: forbidden: cannot dump pod kube-system/dns: ");
        Assert.Contains("User \"alice\" cannot get resource \"pods/dump\" in API group \"traceloop.dev\" in the namespace \"kube-system\"",
            refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LsAllNamespaces_ShowsAliceOnlyShop_AndSaysOthersWereHidden_BobSeesNothing()
    {
        using var alice = As("alice");
        PluginResult ls = await alice.KubectlAsync("ls", "-A");
        Assert.True(ls.ExitCode == 0, ls.ToString());
        string[] table = ls.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAMESPACE", "POD", "CONTAINER", "NODE", "EVENTS", "LOST", "AGE", "STATUS"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string row = Assert.Single(table[1..]);
        Assert.Equal(["shop", "web", "app", AggregatedApiScene.Node], row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);
        Assert.Matches(@"^\d+ namespaces? hidden: (they have|it has) recorded pods you may not list \(RBAC\)$", Assert.Single(ls.ErrorLines));

        PluginResult json = await alice.PluginAsync("ls", "-n", "shop", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        ContainerInfo web = Assert.Single(JsonSerializer.Deserialize(json.Output, TraceloopJson.Context.ListContainerInfo)!);
        Assert.Equal(("shop", "web", "app", AggregatedApiScene.Node), (web.Namespace, web.Pod, web.Container, web.Node));

        using var bob = As("bob");
        PluginResult nothing = await bob.KubectlAsync("ls", "-A");
        Assert.True(nothing.ExitCode == 0, nothing.ToString());
        Assert.Equal("", nothing.Output);
        Assert.Equal("No recorded pods found.", nothing.ErrorLines[0]);
        Assert.Matches(@"^\d+ namespaces hidden: ", nothing.ErrorLines[1]);

        AssertFailed(await bob.KubectlAsync("ls", "-n", "shop"), "error: forbidden: cannot list recorded pods in namespace shop: ");
        AssertFailed(await bob.KubectlAsync("dump", "web", "-n", "shop"), "error: forbidden: cannot dump pod shop/web: ");

        using var stranger = new PluginRun(scene.Api.WriteKubeconfig("not-a-user-token"));
        AssertFailed(await stranger.KubectlAsync("ls", "-A"), "error: unauthorized: the API server rejected the kubeconfig's credentials");
    }

    [Fact]
    public async Task Snapshots_NeedTheAdmin_CrashesShowsAliceOnlyShops_GetReadsIt_AndRmNeedsTheAdmin()
    {
        using var alice = As("alice");
        using var bob = As("bob");
        using var admin = As("admin");

        AssertFailed(await alice.KubectlAsync("snapshot", "web", "-n", "shop"), "error: forbidden: cannot snapshot pod shop/web: ");
        PluginResult snapshot = await admin.KubectlAsync("snapshot", "web", "-n", "shop", "-o", "json");
        Assert.True(snapshot.ExitCode == 0, snapshot.ToString());
        SavedDumpInfo saved = Assert.Single(JsonSerializer.Deserialize(snapshot.Output, TraceloopJson.Context.ListSavedDumpInfo)!);
        Assert.Equal(("shop", "web", DumpTriggerKinds.Manual), (saved.Container?.Namespace, saved.Container?.Pod, saved.Trigger?.Kind));
        PluginResult other = await admin.KubectlAsync("snapshot", "dns", "-n", "kube-system");
        Assert.True(other.ExitCode == 0, other.ToString());

        PluginResult crashes = await alice.KubectlAsync("crashes", "-A");
        Assert.True(crashes.ExitCode == 0, crashes.ToString());
        string[] table = crashes.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["ID", "NAMESPACE", "POD", "CONTAINER", "TRIGGER", "AGE", "SIZE", "NODE"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.All(table[1..], r => Assert.Equal("shop", r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
        string row = Assert.Single(table, l => l.StartsWith(saved.Id + " ", StringComparison.Ordinal));
        Assert.Equal([saved.Id, "shop", "web", "app", "manual"], row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..5]);
        Assert.Matches(@"^\d+ namespaces? hidden: (they have|it has) saved dumps you may not list \(RBAC\)$", Assert.Single(crashes.ErrorLines));
        PluginResult everything = await admin.PluginAsync("crashes", "-A", "-o", "json");
        Assert.Contains(JsonSerializer.Deserialize(everything.Output, TraceloopJson.Context.ListSavedDumpInfo)!, d => d.Container?.Namespace == "kube-system");
        Assert.Equal("", everything.Error);

        PluginResult get = await alice.KubectlAsync("get", saved.Id, "-n", "shop");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains(AggregatedApiScene.Marker(scene.Shop), get.Output, StringComparison.Ordinal);
        PluginResult perfetto = await alice.PluginAsync("get", saved.Id, "-n", "shop", "-o", "perfetto");
        Assert.True(perfetto.ExitCode == 0, perfetto.ToString());
        using (JsonDocument trace = JsonDocument.Parse(perfetto.Output))
        {
            Assert.Equal(JsonValueKind.Array, trace.RootElement.GetProperty("traceEvents").ValueKind);
        }
        AssertFailed(await bob.KubectlAsync("get", saved.Id, "-n", "shop"), $"error: forbidden: cannot get saved dump {saved.Id} in namespace shop: ");
        AssertFailed(await bob.KubectlAsync("crashes", "-n", "shop"), "error: forbidden: cannot list saved dumps in namespace shop: ");

        AssertFailed(await alice.KubectlAsync("rm", saved.Id, "-n", "shop"), $"error: forbidden: cannot delete saved dump {saved.Id} in namespace shop: ");
        PluginResult rm = await admin.KubectlAsync("rm", saved.Id, "-n", "shop");
        Assert.True(rm.ExitCode == 0, rm.ToString());
        Assert.Equal($"deleted {saved.Id}\n", rm.Output);
        AssertFailed(await alice.KubectlAsync("get", saved.Id, "-n", "shop"), "error: not found: ");
    }

    [Fact]
    public async Task KubectlGetRaw_ServesTheSameApi_ToAnyClient()
    {
        using var alice = As("alice");
        using var bob = As("bob");

        PluginResult discovery = await alice.RunAsync(PluginRun.KubectlPath(), ["get", "--raw", "/apis/traceloop.dev/v1alpha1"]);
        Assert.True(discovery.ExitCode == 0, discovery.ToString());
        Assert.Equal("APIResourceList", (string?)JsonNode.Parse(discovery.Output)!["kind"]);

        PluginResult pods = await alice.RunAsync(PluginRun.KubectlPath(), ["get", "--raw", "/apis/traceloop.dev/v1alpha1/namespaces/shop/pods"]);
        Assert.True(pods.ExitCode == 0, pods.ToString());
        JsonNode list = JsonNode.Parse(pods.Output)!;
        Assert.Equal("RecordedContainerList", (string?)list["kind"]);
        Assert.Equal("web", (string?)Assert.Single(list["items"]!.AsArray())!["pod"]);

        PluginResult dump = await alice.RunAsync(PluginRun.KubectlPath(), ["get", "--raw", "/apis/traceloop.dev/v1alpha1/namespaces/shop/pods/web/dump?format=text"]);
        Assert.True(dump.ExitCode == 0, dump.ToString());
        Assert.Contains(AggregatedApiScene.Marker(scene.Shop), dump.Output, StringComparison.Ordinal);

        PluginResult refused = await bob.RunAsync(PluginRun.KubectlPath(), ["get", "--raw", "/apis/traceloop.dev/v1alpha1/namespaces/shop/pods/web/dump"]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Forbidden", refused.Error, StringComparison.Ordinal);
    }

    private PluginRun As(string user) => new(scene.Api.WriteKubeconfig(ApiServerFixture.UserToken(user)));

    /// <summary>A failure: exit 2, nothing on stdout, and one line on stderr starting as given.</summary>
    private static void AssertFailed(PluginResult result, string start)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.Output);
        Assert.StartsWith(start, Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
