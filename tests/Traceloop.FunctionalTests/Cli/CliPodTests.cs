using System.Security.Cryptography;
using System.Text.Json;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Cli;

namespace Traceloop.FunctionalTests.Cli;

/// <summary>The built traceloop binary naming containers by their pods: the recorder watches the fake API server, runc runs a two-container pod.</summary>
public sealed class CliPodTests
{
    private const string Node = "node-a";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task APod_IsListedByName_AndDumpedAsOneTimelineOfItsContainers()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node, "--ResyncBackoffMax", "00:00:01"], cts.Token);
        string appId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string sidecarId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var pod = new TestPod("checkout", "shop")
        {
            Node = Node,
            Labels = new Dictionary<string, string> { ["app"] = "checkout" },
            Containers =
            [
                new TestContainer("app", "registry.example/checkout:1.2") { ContainerId = $"containerd://{appId}" },
                new TestContainer("sidecar", "registry.example/envoy:1") { ContainerId = $"containerd://{sidecarId}" },
            ],
        };
        api.AddPod(pod);
        string appMarker = $"/app-{Guid.NewGuid():N}", sidecarMarker = $"/sidecar-{Guid.NewGuid():N}";
        await using RuncContainer app = await RuncContainer.RunAsync(new ContainerSpec { Id = appId, PodUid = pod.Uid, Args = ["cat", appMarker] }, cts.Token);
        await using RuncContainer sidecar = await RuncContainer.RunAsync(new ContainerSpec { Id = sidecarId, PodUid = pod.Uid, Args = ["cat", sidecarMarker] }, cts.Token);
        await app.WaitForExitAsync(cts.Token);
        await sidecar.WaitForExitAsync(cts.Token);
        await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Count(c => c.Pod == "checkout") == 2,
            TimeSpan.FromSeconds(20), "both containers named by their pod");
        string[] socket = ["--socket", recorder.SocketPath];

        CliProcess.Result ls = await CliProcess.RunAsync(["ls", "-n", "shop", "-l", "app=checkout", .. socket]);
        Assert.Equal(0, ls.ExitCode);
        string[] rows = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.Equal(2, rows.Length);
        Assert.Contains(rows, r => r.StartsWith(appId[..12], StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(r, @"\s+shop\s+checkout\s+app\s+"));
        Assert.Contains(rows, r => r.StartsWith(sidecarId[..12], StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(r, @"\s+shop\s+checkout\s+sidecar\s+"));
        CliProcess.Result none = await CliProcess.RunAsync(["ls", "-n", "other", .. socket]);
        Assert.Equal((0, "", "No recorded containers.\n"), (none.ExitCode, none.Stdout, none.Stderr));

        CliProcess.Result one = await CliProcess.RunAsync(["dump", "shop/checkout", "-c", "sidecar", .. socket]);
        Assert.Equal(0, one.ExitCode);
        Assert.Contains(sidecarMarker, one.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(appMarker, one.Stdout, StringComparison.Ordinal);

        CliProcess.Result perfetto = await CliProcess.RunAsync(["dump", "shop/checkout", "--format", "perfetto", .. socket]);
        Assert.Equal(0, perfetto.ExitCode);
        Assert.Empty(TraceEventFormatRules.Violations(perfetto.Stdout));
        using JsonDocument trace = JsonDocument.Parse(perfetto.Stdout);
        JsonElement[] events = [.. trace.RootElement.GetProperty("traceEvents").EnumerateArray()];
        string[] processes = [.. events.Where(e => e.GetProperty("name").GetString() == "process_name").Select(e => e.GetProperty("args").GetProperty("name").GetString()!)];
        Assert.Contains(processes, p => p.EndsWith("(shop/checkout/app)", StringComparison.Ordinal));
        Assert.Contains(processes, p => p.EndsWith("(shop/checkout/sidecar)", StringComparison.Ordinal));
        foreach ((RuncContainer c, string marker) in (IEnumerable<(RuncContainer, string)>)[(app, appMarker), (sidecar, sidecarMarker)])
        {
            Assert.Contains(events, e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("pid").GetInt32() == c.InitPid
                && e.GetProperty("args").TryGetProperty("filename", out JsonElement f) && f.GetString() == $"\"{marker}\"");
        }
        Assert.Equal(2, events.Count(e => e.GetProperty("name").GetString() == "dump taken"));

        CliProcess.Result unknown = await CliProcess.RunAsync(["dump", "shop/checkout", "-c", "nope", .. socket]);
        Assert.Equal(3, unknown.ExitCode);
        Assert.Equal("error: pod shop/checkout has no recorded container named 'nope'\n", unknown.Stderr);
    }
}
