using System.Net;
using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Tests.Hosting;

public sealed class ClusterListenerOptionsTests
{
    [Fact]
    public void ByDefault_ThereIsNoClusterListener()
    {
        var options = new RecorderOptions();

        Assert.Equal("", options.ClusterAddress);
        Assert.True(new RecorderOptionsValidator().Validate(null, options).Succeeded);
        Assert.Contains("(default: none, no TCP listener)", RecorderHelp.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAddress_NeedsItsTlsFiles_AndTlsFilesNeedAnAddress()
    {
        ValidateOptionsResult noTls = new RecorderOptionsValidator().Validate(null, new RecorderOptions { ClusterAddress = ":9444" });
        ValidateOptionsResult noAddress = new RecorderOptionsValidator().Validate(null, new RecorderOptions { ClusterTlsDir = "/etc/traceloop/tls" });
        ValidateOptionsResult bad = new RecorderOptionsValidator().Validate(null, new RecorderOptions { ClusterAddress = "everywhere", ClusterTlsDir = "/tls" });
        ValidateOptionsResult both = new RecorderOptionsValidator().Validate(null, new RecorderOptions { ClusterAddress = ":9444", ClusterTlsDir = "/tls" });

        Assert.Contains("ClusterAddress needs ClusterTlsDir", noTls.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ClusterTlsDir is set but ClusterAddress is not", noAddress.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ClusterAddress 'everywhere' must be host:port", bad.FailureMessage, StringComparison.Ordinal);
        Assert.True(both.Succeeded, both.FailureMessage);
    }

    [Theory]
    [InlineData(":9444", "[::]:9444")]
    [InlineData("127.0.0.1:9444", "127.0.0.1:9444")]
    [InlineData("[::1]:9444", "[::1]:9444")]
    [InlineData("9444", null)]
    [InlineData(":0", null)]
    [InlineData(":70000", null)]
    [InlineData("127.0.0.1", null)]
    [InlineData("", null)]
    public void ListenAddresses_AreHostPort_OrPortAlone(string text, string? expected)
    {
        IPEndPoint? parsed = ListenAddress.Parse(text);

        Assert.Equal(expected, parsed?.ToString());
    }
}
