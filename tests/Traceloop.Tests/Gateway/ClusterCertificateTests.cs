using System.Security.Cryptography.X509Certificates;
using Traceloop.Gateway.Routing;
using Traceloop.Recorder.Hosting;
using Traceloop.TestCommon.Certificates;

namespace Traceloop.Tests.Gateway;

/// <summary>The two checks of the mutual TLS between gateway and agents: each side's certificate is the other's by CA, usage and name.</summary>
public sealed class ClusterCertificateTests : IDisposable
{
    private readonly X509Certificate2 _ca = TestCa.CreateCa("traceloop-cluster-ca");
    private readonly X509Certificate2Collection _trust;

    public ClusterCertificateTests() => _trust = [TestCa.PublicPart(_ca)];

    [Fact]
    public void TheAgentAcceptsOnlyTheGatewaysClientCertificate_FromTheClusterCa()
    {
        using X509Certificate2 gateway = TestCa.Issue(_ca, "traceloop-gateway", TestCa.ClientAuth);
        using X509Certificate2 bySan = TestCa.Issue(_ca, "something", TestCa.ClientAuth, dns: "traceloop-gateway");
        using X509Certificate2 agent = TestCa.Issue(_ca, "traceloop-agent", TestCa.ClientAuth);
        using X509Certificate2 serverUse = TestCa.Issue(_ca, "traceloop-gateway", TestCa.ServerAuth);
        using X509Certificate2 otherCa = TestCa.CreateCa("other");
        using X509Certificate2 stranger = TestCa.Issue(otherCa, "traceloop-gateway", TestCa.ClientAuth);

        Assert.True(ClusterEndpoint.IsGateway(gateway, _trust));
        Assert.True(ClusterEndpoint.IsGateway(bySan, _trust));
        Assert.False(ClusterEndpoint.IsGateway(agent, _trust));
        Assert.False(ClusterEndpoint.IsGateway(serverUse, _trust));
        Assert.False(ClusterEndpoint.IsGateway(stranger, _trust));
    }

    [Fact]
    public void TheGatewayAcceptsOnlyAnAgentsServingCertificate_FromTheClusterCa_WhateverItsAddress()
    {
        using X509Certificate2 agent = TestCa.Issue(_ca, "traceloop-agent", TestCa.ServerAuth, System.Net.IPAddress.Parse("10.0.0.1"));
        using X509Certificate2 gateway = TestCa.Issue(_ca, "traceloop-gateway", TestCa.ServerAuth);
        using X509Certificate2 clientUse = TestCa.Issue(_ca, "traceloop-agent", TestCa.ClientAuth);
        using X509Certificate2 otherCa = TestCa.CreateCa("other");
        using X509Certificate2 stranger = TestCa.Issue(otherCa, "traceloop-agent", TestCa.ServerAuth);

        Assert.True(AgentClient.IsAgent(agent, _trust));
        Assert.False(AgentClient.IsAgent(gateway, _trust));
        Assert.False(AgentClient.IsAgent(clientUse, _trust));
        Assert.False(AgentClient.IsAgent(stranger, _trust));
        Assert.False(AgentClient.IsAgent(agent, []));
    }

    public void Dispose()
    {
        _ca.Dispose();
        foreach (X509Certificate2 c in _trust)
        {
            c.Dispose();
        }
    }
}
