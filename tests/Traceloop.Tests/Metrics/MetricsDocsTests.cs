using System.Text.RegularExpressions;
using Traceloop.TestCommon.Deploy;
using Traceloop.Tests.Containers;
using Traceloop.Tests.Http;

namespace Traceloop.Tests.Metrics;

/// <summary>docs/METRICS.md and the Grafana dashboard name exactly the metrics the recorder serves.</summary>
public sealed partial class MetricsDocsTests
{
    [GeneratedRegex(@"^# TYPE (traceloop_\w+) ", RegexOptions.Multiline)]
    private static partial Regex Family();

    [GeneratedRegex(@"traceloop_[a-z_]+")]
    private static partial Regex MetricName();

    private static async Task<HashSet<string>> ServedFamiliesAsync()
    {
        await using ApiHost host = await ApiHost.StartAsync();
        host.Harness.Start(RegistryHarness.PodUid(1), RegistryHarness.ContainerId(1));
        using HttpResponseMessage response = await host.Client.SendAsync("/metrics");
        string page = await response.Content.ReadAsStringAsync();
        return [.. Family().Matches(page).Select(m => m.Groups[1].Value)];
    }

    [Fact]
    public async Task EveryServedMetricIsDocumented_AndEveryDocumentedOneServed()
    {
        HashSet<string> served = await ServedFamiliesAsync();
        string docs = File.ReadAllText(Path.Join(RenderedManifests.RepoRoot(), "docs", "METRICS.md"));
        HashSet<string> documented = [.. Regex.Matches(docs, @"^\| `(traceloop_\w+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
        Assert.Equal(served.Order(), documented.Order());
    }

    [Fact]
    public async Task TheDashboardQueriesOnlyServedMetrics()
    {
        HashSet<string> served = await ServedFamiliesAsync();
        string dashboard = File.ReadAllText(Path.Join(RenderedManifests.RepoRoot(), "deploy", "metrics", "grafana", "traceloop-dashboard.json"));
        var used = MetricName().Matches(dashboard).Select(m => Regex.Replace(m.Value, "_(bucket|count|sum)$", "")).ToHashSet();
        Assert.NotEmpty(used);
        Assert.All(used, name => Assert.Contains(name, served));
    }
}
