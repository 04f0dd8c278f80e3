using Traceloop.TestCommon.Deploy;

namespace Traceloop.Tests.Deploy;

/// <summary>deploy/metrics: the one place the DaemonSet opens a TCP port, and only for /metrics.</summary>
public sealed class MetricsOverlayTests
{
    [Fact]
    public void TheBaseOpensNoPort_TheMetricsOverlayOpens9431WithTheScrapeAnnotations()
    {
        RenderedManifests base_ = RenderedManifests.Default;
        Assert.Null(base_.Arg("--metrics-address"));
        Assert.Null(base_.Recorder.Ports);

        RenderedManifests metrics = RenderedManifests.Metrics;
        Assert.Equal(":9431", metrics.Arg("--metrics-address"));
        var port = Assert.Single(metrics.Recorder.Ports);
        Assert.Equal(("metrics", 9431, "TCP"), (port.Name, port.ContainerPort, port.Protocol));
        IDictionary<string, string> annotations = metrics.DaemonSet.Spec.Template.Metadata.Annotations;
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal("9431", annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
        // Everything else is the base's.
        Assert.Equal([.. base_.Recorder.Args, "--metrics-address", ":9431"], metrics.Recorder.Args);
        Assert.Equal(base_.Objects.Count, metrics.Objects.Count);
    }
}
