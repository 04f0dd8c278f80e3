using System.Text;
using System.Text.Json;
using Kubectl.Traceloop;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Traceloop.Tests.Kubectl;

/// <summary>
/// Every plugin command against a double of the traceloop.dev aggregated API: the path and verb
/// it calls (the RBAC a user needs follows from them), the kubeconfig's credentials on each call,
/// what -A says about hidden namespaces and silent nodes, and each refusal as one clear line.
/// </summary>
public sealed class AggregatedApiTests : IAsyncLifetime
{
    private const string P = "/apis/traceloop.dev/v1alpha1";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private ContractDouble _api = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _api = await ContractDouble.StartAsync();
        _kubeconfig = _api.WriteKubeconfig();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task LsAllNamespaces_ListsWhatTheGatewayAllowed_AndSaysWhatWasHiddenAndWhichNodesWereSilent()
    {
        _api.Answer("GET", $"{P}/pods", 200, Envelope("RecordedContainerList",
            Json([Container("shop", "checkout", "app", "node-a"), Container("bank", "ledger", "db", "node-a"), Container(null, null, null, "node-a")]),
            hidden: 2, unreachable: ["node-b"]));

        (int code, string output, string error) = await PluginAsync("ls", "-A");

        Assert.Equal(3, code);
        string[] rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("bank ", rows[1], StringComparison.Ordinal);
        Assert.StartsWith("shop ", rows[2], StringComparison.Ordinal);
        Assert.Equal(
            "2 namespaces hidden: they have recorded pods you may not list (RBAC)\n"
            + "warning: node node-b: its Traceloop agent did not answer; its recorded pods are missing\n", error);
        ContractRequest request = Assert.Single(_api.Requests);
        Assert.Equal(("GET", $"{P}/pods", $"Bearer {ContractDouble.Token}"), (request.Method, request.PathAndQuery, request.Authorization));
    }

    [Fact]
    public async Task LsAndCrashes_InTheContextsNamespace_AskForThatNamespaceOnly()
    {
        _api.Answer("GET", $"{P}/namespaces/shop/pods", 200, Envelope("RecordedContainerList", Json([Container("shop", "checkout", "app", "node-a")])));
        _api.Answer("GET", $"{P}/namespaces/shop/crashdumps", 200, Envelope("CrashDumpList", "[]"));

        (int code, string output, string error) = await PluginAsync("ls", "-o", "json");
        Assert.Equal((0, ""), (code, error));
        Assert.Equal("checkout", Assert.Single(JsonSerializer.Deserialize(output, TraceloopJson.Context.ListContainerInfo)!).Pod);

        (code, output, error) = await PluginAsync("crashes");
        Assert.Equal((0, "", "No saved dumps found in shop namespace.\n"), (code, output, error));
    }

    [Fact]
    public async Task CrashesAllNamespaces_NewestFirst_WithTheNodeOfTheDumpedPod()
    {
        SavedDumpInfo older = Dump("20260101T000000Z-aaaa", Now.AddHours(-2)), newer = Dump("20260101T010000Z-bbbb", Now.AddMinutes(-1));
        _api.Answer("GET", $"{P}/crashdumps", 200, Envelope("CrashDumpList",
            JsonSerializer.Serialize(new List<SavedDumpInfo> { older, newer }, TraceloopJson.Context.ListSavedDumpInfo), hidden: 1));

        (int code, string output, string error) = await PluginAsync("crashes", "-A");

        Assert.Equal(0, code);
        string[] rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith(newer.Id + " ", rows[1], StringComparison.Ordinal);
        Assert.StartsWith(older.Id + " ", rows[2], StringComparison.Ordinal);
        Assert.EndsWith(" node-a", rows[1], StringComparison.Ordinal);
        Assert.Equal("1 namespace hidden: it has saved dumps you may not list (RBAC)\n", error);
    }

    [Fact]
    public async Task DumpGetSnapshotAndRm_CallTheirSubresources_AndPassTheBodyThrough()
    {
        _api.Answer("GET", $"{P}/namespaces/shop/pods/checkout/dump?format=text&container=app&last=5", 200, "openat(...) = 3\n", "text/plain");
        _api.Answer("GET", $"{P}/namespaces/bank/crashdumps/20260101T000000Z-aaaa?format=json", 200, "{\"syscall\":\"read\"}\n", "application/x-ndjson");
        _api.Answer("POST", $"{P}/namespaces/shop/pods/checkout/snapshot", 201,
            JsonSerializer.Serialize(new List<SavedDumpInfo> { Dump("20260101T020000Z-cccc", Now) }, TraceloopJson.Context.ListSavedDumpInfo));
        _api.Answer("DELETE", $"{P}/namespaces/shop/crashdumps/20260101T020000Z-cccc", 204, "");

        Assert.Equal((0, "openat(...) = 3\n", ""), await PluginAsync("dump", "checkout", "-c", "app", "--last", "5"));
        Assert.Equal((0, "{\"syscall\":\"read\"}\n", ""), await PluginAsync("get", "20260101T000000Z-aaaa", "-n", "bank", "-o", "json"));
        (int code, string output, string error) = await PluginAsync("snapshot", "checkout");
        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith("20260101T020000Z-cccc ", output.Split('\n')[1], StringComparison.Ordinal);
        Assert.Equal((0, "deleted 20260101T020000Z-cccc\n", ""), await PluginAsync("rm", "20260101T020000Z-cccc"));
        Assert.All(_api.Requests, r => Assert.Equal($"Bearer {ContractDouble.Token}", r.Authorization));
    }

    [Theory]
    [InlineData(403, "Forbidden", "user \"bob\" cannot get resource \"pods/dump\" in API group \"traceloop.dev\" in the namespace \"shop\"",
        "error: forbidden: cannot dump pod shop/checkout: user \"bob\" cannot get resource \"pods/dump\" in API group \"traceloop.dev\" in the namespace \"shop\"")]
    [InlineData(404, "NotFound", "no recorded container of pod shop/checkout",
        "error: not found: no recorded container of pod shop/checkout")]
    [InlineData(503, "ServiceUnavailable", "the agent on node node-a did not answer",
        "error: cannot dump pod shop/checkout: the Traceloop API is unavailable (is the traceloop-gateway running? kubectl get apiservice v1alpha1.traceloop.dev): the agent on node node-a did not answer")]
    public async Task EachStatus_IsOneClearLine_AndTheFailureExit(int status, string reason, string message, string expected)
    {
        _api.Answer("GET", $"{P}/namespaces/shop/pods/checkout/dump?format=text", status, ContractDouble.Status(status, reason, message));
        Assert.Equal((2, "", expected + "\n"), await PluginAsync("dump", "checkout"));
    }

    [Fact]
    public async Task WrongCredentials_ANotInstalledApi_AndAnUnreadableList_AreClearFailures()
    {
        string wrong = _api.WriteKubeconfig(token: "stolen");
        Assert.Equal((2, "", "error: unauthorized: the API server rejected the kubeconfig's credentials: Unauthorized\n"),
            await PluginWithAsync(wrong, "ls"));

        Assert.Equal((2, "", "error: cannot list saved dumps in all namespaces: the API server does not serve this traceloop.dev/v1alpha1 request; is Traceloop installed (APIService v1alpha1.traceloop.dev), and as new as this plugin?\n"),
            await PluginAsync("crashes", "-A"));

        _api.Answer("GET", $"{P}/pods", 200, "{\"kind\":\"RecordedContainerList\"}");
        (int code, string output, string error) = await PluginAsync("ls", "-A");
        Assert.Equal((2, ""), (code, output));
        Assert.Equal("error: the Traceloop API sent an unreadable answer to list recorded pods in all namespaces: no items array\n", error);
    }

    [Fact]
    public async Task AnUnreachableApiServer_IsAFailureNamingIt()
    {
        string url = _api.Url.ToString().TrimEnd('/');
        await _api.DisposeAsync();
        _api = await ContractDouble.StartAsync();
        // The new double's kubeconfig, pointed at the port nothing listens on any more.
        string kubeconfig = _api.WriteKubeconfig();
        File.WriteAllText(kubeconfig, File.ReadAllText(kubeconfig).Replace(_api.Url.ToString().TrimEnd('/'), url, StringComparison.Ordinal));
        (int code, _, string error) = await PluginWithAsync(kubeconfig, "ls");
        Assert.Equal(2, code);
        Assert.StartsWith($"error: cannot reach the API server {url}/ to list recorded pods in namespace shop: ", error, StringComparison.Ordinal);
    }

    private Task<(int Code, string Output, string Error)> PluginAsync(params string[] args) => PluginWithAsync(_kubeconfig, args);

    private static async Task<(int Code, string Output, string Error)> PluginWithAsync(string kubeconfig, params string[] args)
    {
        using var output = new MemoryStream();
        var error = new StringWriter();
        var console = new CliConsole(output, error, outputIsTerminal: false, _ => null, TimeProvider.System, autoFlush: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int code = await PluginApp.RunAsync([.. args, "--kubeconfig", kubeconfig, "--request-timeout", "10"], console, cts.Token);
        return (code, Encoding.UTF8.GetString(output.ToArray()), error.ToString().ReplaceLineEndings("\n"));
    }

    private static string Envelope(string kind, string items, int hidden = 0, string[]? unreachable = null) =>
        $$"""{"kind":"{{kind}}","apiVersion":"traceloop.dev/v1alpha1","items":{{items}},"hiddenNamespaces":{{hidden}},"unreachableNodes":{{"[" + string.Join(",", (unreachable ?? []).Select(n => $"\"{n}\"")) + "]"}}}""";

    private static string Json(List<ContainerInfo> containers) => JsonSerializer.Serialize(containers, TraceloopJson.Context.ListContainerInfo);

    private static ContainerInfo Container(string? ns, string? pod, string? name, string node) => new()
    {
        Id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
        CgroupPath = "/kubepods/x",
        Namespace = ns,
        Pod = pod,
        Container = name,
        Node = node,
        FirstSeen = Now.AddMinutes(-5),
    };

    private static SavedDumpInfo Dump(string id, DateTimeOffset takenAt) => new()
    {
        Id = id,
        Container = Container("shop", "checkout", "app", "node-a"),
        Trigger = new DumpTrigger { Kind = DumpTriggerKinds.Manual },
        TakenAt = takenAt,
        SizeBytes = 1024,
        Node = "host-a",
    };
}
