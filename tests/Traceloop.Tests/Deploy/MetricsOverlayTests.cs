using Traceloop.TestCommon.Deploy;

namespace Traceloop.Tests.Deploy;

/// <summary>deploy/metrics: the one place the DaemonSet opens a TCP port, and only for /metrics.</summary>
public sealed class MetricsOverlayTests
{
    [Fact]
    public void TheBaseOpensNoMetricsPort_TheMetricsOverlayOpens9431WithTheScrapeAnnotations()
    {
        RenderedManifests base_ = RenderedManifests.Default;
        Assert.Null(base_.Arg("--metrics-address"));
        // The base's one port is the cluster listener the gateway reaches the agent on.
        Assert.DoesNotContain(base_.Recorder.Ports, p => p.ContainerPort == 9431 || p.Name == "metrics");

        RenderedManifests metrics = RenderedManifests.Metrics;
        Assert.Equal(":9431", metrics.Arg("--metrics-address"));
        var port = Assert.Single(metrics.Recorder.Ports, p => p.Name == "metrics");
        Assert.Equal(("metrics", 9431, "TCP"), (port.Name, port.ContainerPort, port.Protocol));
        // The overlay adds its port; it does not replace the base's.
        Assert.Equal(base_.Recorder.Ports.Count + 1, metrics.Recorder.Ports.Count);
        IDictionary<string, string> annotations = metrics.DaemonSet.Spec.Template.Metadata.Annotations;
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal("9431", annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
        // Everything else is the base's.
        Assert.Equal([.. base_.Recorder.Args, "--metrics-address", ":9431"], metrics.Recorder.Args);
        Assert.Equal(base_.Objects.Count, metrics.Objects.Count);
    }
}
