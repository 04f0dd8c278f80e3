using System.Security.Cryptography;
using System.Text.Json;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests.Kubectl;

/// <summary>
/// The built kubectl-traceloop, run by the real kubectl, against the fake API server whose
/// pods/exec runs the real traceloop CLI against a real recorder recording real runc containers.
/// </summary>
public sealed class KubectlPluginTests
{
    private const string Node = "node-a";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task TheRealKubectl_ListsThePlugin_AndRunsItsHelp()
    {
        using var run = new PluginRun(kubeconfig: null);

        PluginResult list = await run.RunAsync(PluginRun.KubectlPath(), ["plugin", "list"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(Path.Join(run.PluginDir, "kubectl-traceloop"), list.Output, StringComparison.Ordinal);

        PluginResult help = await run.KubectlAsync("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (string command in (string[])["ls", "dump <pod>", "crashes", "get <dump-id>", "snapshot <pod>"])
        {
            Assert.Contains(command, help.Output, StringComparison.Ordinal);
        }
        Assert.Contains("--all-namespaces", (await run.KubectlAsync("ls", "--help")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DumpPrintsAPodsSyscalls_LsListsIt_AndJsonParses_ThroughTheRealKubectl()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await StartRecorderAsync(api, cts.Token);
        AgentPods.Add(api, Node, recorder.SocketPath);
        (RuncContainer container, string cid, string marker) = await RunRecordedPodAsync(api, recorder, "checkout", "shop", cts.Token);
        await using RuncContainer _ = container;
        using var run = new PluginRun(api.WriteKubeconfig());

        PluginResult dump = await run.KubectlAsync("dump", "checkout", "-n", "shop");
        Assert.True(dump.ExitCode == 0, dump.ToString());
        Assert.Contains($"openat(AT_FDCWD, \"{marker}\", O_RDONLY) = -1 ENOENT", dump.Output, StringComparison.Ordinal);
        Assert.Contains("# pod shop/checkout container app", dump.Output, StringComparison.Ordinal);
        ExecCall exec = api.ExecCalls[^1];
        Assert.Equal((AgentPods.Namespace, "traceloop-" + Node, "recorder", "v5.channel.k8s.io", 0),
            (exec.Namespace, exec.Pod, exec.Container, exec.Protocol, exec.ExitCode));
        Assert.Equal(["traceloop", "api", "GET", "/pods/shop/checkout/dump?format=text"], exec.Command);

        PluginResult last = await run.PluginAsync("dump", "checkout", "-n", "shop", "-c", "app", "--last", "5", "-o", "json");
        Assert.True(last.ExitCode == 0, last.ToString());
        string[] lines = last.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 1, 5);
        foreach (string line in lines)
        {
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind);
        }

        PluginResult ls = await run.KubectlAsync("ls", "-A");
        Assert.True(ls.ExitCode == 0, ls.ToString());
        string[] table = ls.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAMESPACE", "POD", "CONTAINER", "NODE", "EVENTS", "LOST", "AGE", "STATUS"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string row = Assert.Single(table, l => l.StartsWith("shop ", StringComparison.Ordinal));
        Assert.Equal(["shop", "checkout", "app", Node], row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..4]);

        PluginResult json = await run.PluginAsync("ls", "-n", "shop", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        List<ContainerInfo> listed = JsonSerializer.Deserialize(json.Output, TraceloopJson.Context.ListContainerInfo)!;
        ContainerInfo info = Assert.Single(listed);
        Assert.Equal((cid, "shop", "checkout", "app", Node), (info.Id, info.Namespace, info.Pod, info.Container, info.Node));

        PluginResult elsewhere = await run.PluginAsync("ls");
        Assert.True(elsewhere.ExitCode == 0, elsewhere.ToString());
        Assert.Equal("", elsewhere.Output);
        Assert.Equal("No recorded pods found in traceloop namespace.\n", elsewhere.Error);

        // A second node whose kubelet cannot be reached: listed as a warning, the rest printed, exit 3.
        AgentPods.Add(api, "node-b", recorderSocket: null);
        PluginResult partial = await run.PluginAsync("ls", "-A");
        Assert.True(partial.ExitCode == 3, partial.ToString());
        Assert.Contains(partial.Output.Split('\n'), l => l.StartsWith("shop ", StringComparison.Ordinal));
        Assert.Equal("warning: node node-b: agent on node node-b unreachable: error dialing backend: dial tcp 10.0.0.10:10250: connect: connection refused",
            Assert.Single(partial.ErrorLines));
    }

    [Fact]
    public async Task EachFailure_IsOneClearLine_AndANonZeroExit()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await StartRecorderAsync(api, cts.Token);
        TestPod agent = AgentPods.Add(api, Node, recorder.SocketPath);
        AgentPods.Add(api, "node-unreachable", recorderSocket: null);
        AgentPods.Add(api, "node-pending", recorderSocket: null, phase: "Pending", recorderRunning: false);
        AgentPods.Add(api, "node-norecorder", Path.Join(Path.GetTempPath(), $"traceloop-none-{Guid.NewGuid():N}.sock"));
        api.AddPod(TestPod.Running("ghost", Node, "shop"));
        foreach (string node in (string[])["node-unreachable", "node-pending", "node-norecorder", "node-without-agent"])
        {
            api.AddPod(TestPod.Running("on-" + node, node, "shop"));
        }
        api.AddPod(new TestPod("unscheduled", "shop") { Phase = "Pending" });
        using var run = new PluginRun(api.WriteKubeconfig());

        await AssertFailsAsync(run, "error: pod nope not found in namespace shop", "dump", "nope", "-n", "shop");
        await AssertFailsAsync(run, "error: pod unscheduled in namespace shop is not scheduled to a node yet (phase Pending)", "dump", "unscheduled", "-n", "shop");
        await AssertFailsAsync(run, "error: no Traceloop agent on node node-without-agent; is the DaemonSet installed?", "dump", "on-node-without-agent", "-n", "shop");
        await AssertFailsAsync(run, "error: agent on node node-unreachable unreachable: error dialing backend: dial tcp 10.0.0.10:10250: connect: connection refused",
            "dump", "on-node-unreachable", "-n", "shop");
        await AssertFailsAsync(run, "error: the Traceloop agent traceloop-node-pending on node node-pending is not running (phase Pending)",
            "dump", "on-node-pending", "-n", "shop");
        PluginResult down = await AssertFailsAsync(run, null, "dump", "on-node-norecorder", "-n", "shop");
        Assert.StartsWith("error: agent on node node-norecorder cannot reach its recorder: ", down.Error, StringComparison.Ordinal);
        Assert.Contains("is the recorder running?", down.Error, StringComparison.Ordinal);

        // The recorder's own refusal, passed through: it records no container of this pod.
        PluginResult missing = await AssertFailsAsync(run, null, "dump", "ghost", "-n", "shop");
        Assert.StartsWith("error: HTTP 404: ", missing.Error, StringComparison.Ordinal);

        string exec = $"/api/v1/namespaces/{AgentPods.Namespace}/pods/{agent.Name}/exec";
        api.Forbid(exec);
        PluginResult forbidden = await AssertFailsAsync(run, null, "dump", "ghost", "-n", "shop");
        Assert.StartsWith("error: forbidden: you need create on pods/exec in namespace traceloop (RBAC): ", forbidden.Error, StringComparison.Ordinal);
        Assert.Contains("cannot create resource \"pods/exec\"", forbidden.Error, StringComparison.Ordinal);
        // Cluster-wide, RBAC is the same refusal on every node: fatal, not a per-node warning.
        PluginResult forbiddenList = await AssertFailsAsync(run, null, "ls", "-A");
        Assert.StartsWith("error: forbidden: you need create on pods/exec", forbiddenList.Error, StringComparison.Ordinal);
        api.Allow(exec);

        await AssertFailsAsync(run, "error: dump 20990101T000000Z-none not found: 1 of 4 nodes answered without it, 3 did not answer",
            "get", "20990101T000000Z-none", expectedWarnings: 3);
    }

    [Fact]
    public async Task CrashesLists_ASnapshotTakenThroughThePlugin_AndGetReadsItBack()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await StartRecorderAsync(api, cts.Token);
        AgentPods.Add(api, Node, recorder.SocketPath);
        (RuncContainer container, string cid, string marker) = await RunRecordedPodAsync(api, recorder, "payments", "bank", cts.Token);
        await using RuncContainer _ = container;
        using var run = new PluginRun(api.WriteKubeconfig());

        PluginResult snapshot = await run.KubectlAsync("snapshot", "payments", "-n", "bank", "-o", "json");
        Assert.True(snapshot.ExitCode == 0, snapshot.ToString());
        SavedDumpInfo saved = Assert.Single(JsonSerializer.Deserialize(snapshot.Output, TraceloopJson.Context.ListSavedDumpInfo)!);
        Assert.Equal((cid, DumpTriggerKinds.Manual), (saved.Container?.Id, saved.Trigger?.Kind));
        Assert.Equal(["traceloop", "api", "POST", "/pods/bank/payments/snapshot"], api.ExecCalls[^1].Command);

        PluginResult crashes = await run.KubectlAsync("crashes", "-A");
        Assert.True(crashes.ExitCode == 0, crashes.ToString());
        string[] table = crashes.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["ID", "NAMESPACE", "POD", "CONTAINER", "TRIGGER", "AGE", "SIZE", "NODE"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string row = Assert.Single(table, l => l.StartsWith(saved.Id + " ", StringComparison.Ordinal));
        string[] cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([saved.Id, "bank", "payments", "app", "manual"], cells[..5]);
        Assert.Equal(Node, cells[^1]);

        PluginResult json = await run.PluginAsync("crashes", "-n", "bank", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains(JsonSerializer.Deserialize(json.Output, TraceloopJson.Context.ListSavedDumpInfo)!, d => d.Id == saved.Id);

        PluginResult get = await run.KubectlAsync("get", saved.Id);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains(marker, get.Output, StringComparison.Ordinal);
        PluginResult onNode = await run.PluginAsync("get", saved.Id, "--node", Node, "-o", "perfetto");
        Assert.True(onNode.ExitCode == 0, onNode.ToString());
        using JsonDocument trace = JsonDocument.Parse(onNode.Output);
        Assert.Equal(JsonValueKind.Array, trace.RootElement.GetProperty("traceEvents").ValueKind);
    }

    private static async Task<PluginResult> AssertFailsAsync(PluginRun run, string? expected, string arg0, params string[] rest) =>
        await AssertFailsAsync(run, expected, [arg0, .. rest], expectedWarnings: 0);

    private static async Task<PluginResult> AssertFailsAsync(PluginRun run, string? expected, string arg0, string arg1, int expectedWarnings) =>
        await AssertFailsAsync(run, expected, [arg0, arg1], expectedWarnings);

    private static async Task<PluginResult> AssertFailsAsync(PluginRun run, string? expected, string[] args, int expectedWarnings)
    {
        PluginResult result = await run.PluginAsync(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.Output);
        string[] lines = result.ErrorLines;
        Assert.True(lines.Length == expectedWarnings + 1, result.ToString());
        Assert.All(lines[..^1], l => Assert.StartsWith("warning: node ", l, StringComparison.Ordinal));
        if (expected is not null)
        {
            Assert.Equal(expected, lines[^1]);
        }
        return result with { Error = lines[^1] };
    }

    private static Task<RecorderProcess> StartRecorderAsync(ApiServerFixture api, CancellationToken ct) =>
        RecorderProcess.StartAsync(["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node, "--ResyncBackoffMax", "00:00:01"], ct);

    /// <summary>A pod with one container "app" on <see cref="Node"/> whose process opened a unique missing file, recorded and named.</summary>
    private static async Task<(RuncContainer Container, string ContainerId, string Marker)> RunRecordedPodAsync(ApiServerFixture api, RecorderProcess recorder,
        string name, string ns, CancellationToken ct)
    {
        string cid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var pod = new TestPod(name, ns)
        {
            Node = Node,
            Labels = new Dictionary<string, string> { ["app"] = name },
            Containers = [new TestContainer("app", "registry.example/" + name + ":1") { ContainerId = $"containerd://{cid}" }],
        };
        api.AddPod(pod);
        string marker = $"/kubectl-{Guid.NewGuid():N}";
        RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Id = cid, PodUid = pod.Uid, Args = ["cat", marker] }, ct);
        try
        {
            await container.WaitForExitAsync(ct);
            await Eventually.TrueAsync(async () =>
                (await recorder.Client.GetContainersAsync(ct)).Find(c => c.Id == cid) is { Pod: not null }
                && (await recorder.Client.GetDumpTextAsync(cid, ct: ct)).Contains(marker, StringComparison.Ordinal),
                TimeSpan.FromSeconds(20), "the pod's container recorded and named");
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
        return (container, cid, marker);
    }
}
