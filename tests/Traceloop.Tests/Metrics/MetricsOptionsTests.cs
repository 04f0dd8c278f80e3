using System.Net;
using Traceloop.Recorder.Metrics;

namespace Traceloop.Tests.Metrics;

public sealed class MetricsOptionsTests
{
    [Theory]
    [InlineData(":9431", "0.0.0.0", 9431)]
    [InlineData("127.0.0.1:9431", "127.0.0.1", 9431)]
    [InlineData("[::1]:80", "::1", 80)]
    public void AnAddressIsHostAndPort_AnEmptyHostMeaningEveryAddress(string text, string address, int port) =>
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), MetricsOptions.ParseAddress(text));

    [Theory]
    [InlineData("9431")]
    [InlineData(":0")]
    [InlineData(":70000")]
    [InlineData("localhost:9431")]
    [InlineData("[::1]")]
    public void AnythingElseIsRefusedWithTheFormsThatWork(string text)
    {
        Assert.Null(MetricsOptions.ParseAddress(text));
        ValidateOptionsResultAssert(new MetricsOptions { MetricsAddress = text }, "--metrics-address must be [host]:port");
    }

    [Fact]
    public void MetricsIsOnOrOff_AndAnAddressNeedsItOn()
    {
        Assert.True(new MetricsOptions().Enabled);
        ValidateOptionsResultAssert(new MetricsOptions { Metrics = "yes" }, "--metrics must be on or off");
        ValidateOptionsResultAssert(new MetricsOptions { Metrics = "off", MetricsAddress = ":9431" }, "--metrics-address needs --metrics on");
        Assert.True(new MetricsOptionsValidator().Validate(null, new MetricsOptions { Metrics = "OFF" }).Succeeded);
        Assert.Null(new MetricsOptions().Endpoint());
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(15, false)]
    [InlineData(16, true)]
    [InlineData(8192, true)]
    [InlineData(1 << 20, true)]
    [InlineData((1 << 20) + 1, false)]
    public void TheSeriesBudgetIsBounded_SoThePreallocatedMapStaysSane(int series, bool valid)
    {
        Assert.Equal(128 * 96, new MetricsOptions().SeriesFor(128));
        Assert.Equal(500, new MetricsOptions { MetricsSeries = 500 }.SeriesFor(128));
        var options = new MetricsOptions { MetricsSeries = series };
        if (valid)
        {
            Assert.True(new MetricsOptionsValidator().Validate(null, options).Succeeded);
        }
        else
        {
            ValidateOptionsResultAssert(options, "--metrics-series must be 0 (96 per container) or from 16 to 1048576");
        }
    }

    private static void ValidateOptionsResultAssert(MetricsOptions options, string failure)
    {
        var result = new MetricsOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(failure, StringComparison.Ordinal));
    }
}
