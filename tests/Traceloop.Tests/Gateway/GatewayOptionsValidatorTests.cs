using Microsoft.Extensions.Options;
using Traceloop.Gateway.Hosting;

namespace Traceloop.Tests.Gateway;

public sealed class GatewayOptionsValidatorTests
{
    [Fact]
    public void TheCertificates_MustBeGiven()
    {
        ValidateOptionsResult result = new GatewayOptionsValidator().Validate(null, new GatewayOptions());

        Assert.Contains("TlsCert and TlsKey (--tls-cert, --tls-key) are required", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("give one of AgentTlsDir (--agent-tls-dir) and IssueCertificates (--issue-certificates)", result.FailureMessage, StringComparison.Ordinal);
        var both = new GatewayOptions { TlsCert = "c", TlsKey = "k", AgentTlsDir = "/agent-tls", IssueCertificates = true };
        Assert.Contains("give one of AgentTlsDir", new GatewayOptionsValidator().Validate(null, both).FailureMessage, StringComparison.Ordinal);
        var issuing = new GatewayOptions { TlsCert = "c", TlsKey = "k", IssueCertificates = true };
        Assert.True(new GatewayOptionsValidator().Validate(null, issuing).Succeeded);
    }

    [Fact]
    public void TheIssuer_ServesItsOwnCertificate_SoNeedsNoFiles_ButHalfAPairIsRefused()
    {
        Assert.True(new GatewayOptionsValidator().Validate(null, new GatewayOptions { IssueCertificates = true }).Succeeded);

        var halfPair = new GatewayOptions { TlsCert = "c", IssueCertificates = true };
        Assert.Contains("give both TlsCert and TlsKey", new GatewayOptionsValidator().Validate(null, halfPair).FailureMessage, StringComparison.Ordinal);
        var filesOnly = new GatewayOptions { TlsKey = "k", AgentTlsDir = "/agent-tls" };
        Assert.Contains("give both TlsCert and TlsKey", new GatewayOptionsValidator().Validate(null, filesOnly).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void WithThem_TheDefaultsAreValid_AndShownInTheHelp()
    {
        var options = new GatewayOptions { TlsCert = "/tls/tls.crt", TlsKey = "/tls/tls.key", AgentTlsDir = "/agent-tls" };

        ValidateOptionsResult result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Contains("(default traceloop)", GatewayHelp.Text, StringComparison.Ordinal);
        Assert.Contains("(default app.kubernetes.io/name=traceloop)", GatewayHelp.Text, StringComparison.Ordinal);
        Assert.Contains("(default 9444)", GatewayHelp.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfRangeSettings_AreRefused_EachWithItsReason()
    {
        var options = new GatewayOptions
        {
            TlsCert = "c", TlsKey = "k", AgentTlsDir = "d", Address = "nowhere", AgentPort = 0, AgentConcurrency = 0,
            AgentTimeout = TimeSpan.Zero, AuthenticationRefresh = TimeSpan.FromDays(1), AgentNamespace = " ",
        };

        ValidateOptionsResult result = new GatewayOptionsValidator().Validate(null, options);

        Assert.Equal(6, result.Failures!.Count());
    }
}
