using System.Security.Cryptography.X509Certificates;
using Traceloop.Cluster;
using Traceloop.Gateway.Certificates;
using Traceloop.Gateway.Routing;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Tests.Gateway;

/// <summary>
/// The issuer's decisions over a CA's life: what it makes first, when it renews, and that during a
/// CA rotation each side always trusts the certificate the other presents.
/// </summary>
public sealed class CertificateIssuerTests
{
    // The trust checks build chains at the real time, so every "now" here stays within a few
    // minutes of it (certificates are backdated by five): histories are set in the past instead.
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;
    private static readonly TimeSpan Propagation = TimeSpan.FromMinutes(1);
    private const string Ns = "traceloop";

    [Fact]
    public void FromNothing_ACaAndTwoLeaves_ThatEachSideAccepts()
    {
        IssuedCertificates state = IssuedCertificates.Next(null, Start, Propagation, Ns);

        Assert.Null(state.PreviousCa);
        Assert.True(state.Ca.HasPrivateKey && state.Agent.HasPrivateKey && state.Gateway.HasPrivateKey);
        Assert.Equal(ClusterAuthority.CaLifetime, state.Ca.NotAfter - state.Ca.NotBefore - TimeSpan.FromMinutes(5));
        Assert.Equal(ClusterAuthority.LeafLifetime, state.Agent.NotAfter - state.Agent.NotBefore - TimeSpan.FromMinutes(5));
        AssertMutualTrust(state, Start);
        // Nothing to do until something is due.
        Assert.Same(state, IssuedCertificates.Next(state, Start + TimeSpan.FromDays(10), Propagation, Ns));
    }

    [Fact]
    public void Leaves_AreRenewedAtTwoThirdsOfTheirLife_ByTheSameCa()
    {
        IssuedCertificates state = IssuedCertificates.Next(null, Start - TimeSpan.FromDays(21), Propagation, Ns);
        DateTimeOffset due = Start;

        IssuedCertificates renewed = IssuedCertificates.Next(state, due, Propagation, Ns);

        Assert.Same(state.Ca, renewed.Ca);
        Assert.NotEqual(state.Agent.Thumbprint, renewed.Agent.Thumbprint);
        Assert.NotEqual(state.Gateway.Thumbprint, renewed.Gateway.Thumbprint);
        AssertMutualTrust(renewed, due);
    }

    [Fact]
    public void ACaRotation_TrustsBothCas_MovesTheLeavesAfterPropagation_ThenDropsTheOldCa()
    {
        IssuedCertificates state = IssuedCertificates.Next(null, Start - TimeSpan.FromDays(244), Propagation, Ns);
        // Keep the leaves fresh as the issuer would have, up to the CA's two thirds.
        DateTimeOffset now = Start - Propagation * 2;
        state = state with { Agent = ClusterAuthority.Issue(state.Ca, ClusterAuthority.AgentIdentity, true, now - TimeSpan.FromDays(1)),
            Gateway = ClusterAuthority.Issue(state.Ca, ClusterAuthority.GatewayIdentity, false, now - TimeSpan.FromDays(1)),
            Serving = ClusterAuthority.Issue(state.Ca, ClusterAuthority.ServingNames(Ns)[0], true, now - TimeSpan.FromDays(1), ClusterAuthority.ServingNames(Ns)[1..]) };
        X509Certificate2 oldCa = state.Ca;

        IssuedCertificates rotating = IssuedCertificates.Next(state, now, Propagation, Ns);
        Assert.NotEqual(oldCa.Thumbprint, rotating.Ca.Thumbprint);
        Assert.Equal(oldCa.Thumbprint, rotating.PreviousCa?.Thumbprint);
        Assert.Same(state.Agent, rotating.Agent);
        AssertMutualTrust(rotating, now);

        IssuedCertificates waiting = IssuedCertificates.Next(rotating, now + Propagation / 2, Propagation, Ns);
        Assert.Same(rotating, waiting);

        IssuedCertificates moved = IssuedCertificates.Next(waiting, now + Propagation, Propagation, Ns);
        Assert.True(ClusterAuthority.SignedBy(moved.Agent, moved.Ca) && ClusterAuthority.SignedBy(moved.Gateway, moved.Ca));
        Assert.NotNull(moved.PreviousCa);
        AssertMutualTrust(moved, now + Propagation);
        // An agent that still has the old leaves (its mount not yet updated) is still trusted, and still trusts the new gateway leaf.
        Assert.True(AgentClient.IsAgent(rotating.Agent, moved.Trust));
        Assert.True(ClusterEndpoint.IsGateway(moved.Gateway, rotating.Trust));

        IssuedCertificates done = IssuedCertificates.Next(moved, now + Propagation * 2, Propagation, Ns);
        Assert.Null(done.PreviousCa);
        Assert.Equal(done.Ca.Thumbprint, Assert.Single(done.Trust).Thumbprint);
        AssertMutualTrust(done, now + Propagation * 2);
    }

    [Fact]
    public void TheSecrets_HoldTheStateAndGiveItBack()
    {
        IssuedCertificates state = IssuedCertificates.Next(null, Start, Propagation, Ns);

        Dictionary<string, string> ca = IssuerSecrets.CaData(state), agent = IssuerSecrets.AgentData(state);
        IssuedCertificates? read = IssuerSecrets.Read(ca, agent, IssuerSecrets.ServingData(state));

        Assert.NotNull(read);
        Assert.Equal((state.Ca.Thumbprint, state.Agent.Thumbprint, state.Gateway.Thumbprint), (read.Ca.Thumbprint, read.Agent.Thumbprint, read.Gateway.Thumbprint));
        Assert.True(read.Ca.HasPrivateKey && read.Agent.HasPrivateKey && read.Gateway.HasPrivateKey);
        Assert.Equal(["tls.crt", "tls.key", "ca.crt"], agent.Keys);
        Assert.DoesNotContain("ca.key", agent.Keys);
        // Nothing changed, nothing to write.
        Assert.Same(read, IssuedCertificates.Next(read, Start + TimeSpan.FromDays(1), Propagation, Ns));
        // A lost agent Secret is re-issued by the kept CA.
        IssuedCertificates reissued = IssuedCertificates.Next(IssuerSecrets.Read(ca, null), Start + TimeSpan.FromDays(1), Propagation, Ns);
        Assert.Equal(state.Ca.Thumbprint, reissued.Ca.Thumbprint);
        Assert.True(reissued.Agent.HasPrivateKey);
        Assert.Null(IssuerSecrets.Read(null, agent));
        Assert.Throws<FormatException>(() => IssuerSecrets.Read(new Dictionary<string, string> { ["ca.crt"] = "x" }, null));
    }

    [Fact]
    public void TheServingCertificate_NamesTheService_ChainsToTheTrust_AndIsKeptInItsOwnSecret()
    {
        IssuedCertificates state = IssuedCertificates.Next(null, Start, Propagation, Ns);

        Assert.True(state.Serving.HasPrivateKey);
        Assert.Equal(ClusterAuthority.LeafLifetime, state.Serving.NotAfter - state.Serving.NotBefore - TimeSpan.FromMinutes(5));
        // The aggregation layer dials the Service by name and checks it, for server use, against caBundle (the trust).
        Assert.True(PeerCertificate.ChainsTo(state.Serving, state.Trust, PeerCertificate.ServerAuth));
        Assert.True(PeerCertificate.Names(state.Serving, "traceloop-gateway.traceloop.svc"));
        Assert.True(PeerCertificate.Names(state.Serving, "traceloop-gateway.traceloop.svc.cluster.local"));
        Assert.False(PeerCertificate.ChainsTo(state.Serving, state.Trust, PeerCertificate.ClientAuth));

        Dictionary<string, string> ca = IssuerSecrets.CaData(state), agent = IssuerSecrets.AgentData(state), serving = IssuerSecrets.ServingData(state);
        Assert.Equal(["tls.crt", "tls.key", "ca.crt"], serving.Keys);
        Assert.Equal(IssuerSecrets.TrustPem(state), serving["ca.crt"]);
        IssuedCertificates read = IssuerSecrets.Read(ca, agent, serving)!;
        Assert.Equal(state.Serving.Thumbprint, read.Serving.Thumbprint);
        Assert.Same(read, IssuedCertificates.Next(read, Start + TimeSpan.FromDays(1), Propagation, Ns));
        // Lost, it is re-issued by the kept CA; moved to another namespace, it is re-issued for the new names.
        IssuedCertificates lost = IssuedCertificates.Next(IssuerSecrets.Read(ca, agent, null), Start, Propagation, Ns);
        Assert.Equal(state.Ca.Thumbprint, lost.Ca.Thumbprint);
        Assert.NotEqual(state.Serving.Thumbprint, lost.Serving.Thumbprint);
        Assert.True(lost.Serving.HasPrivateKey);
        IssuedCertificates moved = IssuedCertificates.Next(read, Start, Propagation, "elsewhere");
        Assert.True(PeerCertificate.Names(moved.Serving, "traceloop-gateway.elsewhere.svc"));
        Assert.Equal(state.Agent.Thumbprint, moved.Agent.Thumbprint);
    }

    [Fact]
    public void DuringACaRotation_TheServingCertificateMovesWithTheOtherLeaves()
    {
        IssuedCertificates state = IssuedCertificates.Next(null, Start - TimeSpan.FromDays(244), Propagation, Ns);
        DateTimeOffset now = Start - Propagation * 2;
        state = state with
        {
            Agent = ClusterAuthority.Issue(state.Ca, ClusterAuthority.AgentIdentity, true, now - TimeSpan.FromDays(1)),
            Gateway = ClusterAuthority.Issue(state.Ca, ClusterAuthority.GatewayIdentity, false, now - TimeSpan.FromDays(1)),
            Serving = ClusterAuthority.Issue(state.Ca, ClusterAuthority.ServingNames(Ns)[0], true, now - TimeSpan.FromDays(1), ClusterAuthority.ServingNames(Ns)[1..]),
        };

        IssuedCertificates rotating = IssuedCertificates.Next(state, now, Propagation, Ns);
        Assert.Same(state.Serving, rotating.Serving);
        // The bundle written into caBundle now holds both CAs: the old serving certificate still verifies.
        Assert.True(PeerCertificate.ChainsTo(rotating.Serving, rotating.Trust, PeerCertificate.ServerAuth));

        IssuedCertificates moved = IssuedCertificates.Next(rotating, now + Propagation, Propagation, Ns);
        Assert.True(ClusterAuthority.SignedBy(moved.Serving, moved.Ca));
        Assert.True(PeerCertificate.ChainsTo(moved.Serving, moved.Trust, PeerCertificate.ServerAuth));
        IssuedCertificates done = IssuedCertificates.Next(moved, now + Propagation * 2, Propagation, Ns);
        Assert.Null(done.PreviousCa);
        Assert.True(PeerCertificate.ChainsTo(done.Serving, done.Trust, PeerCertificate.ServerAuth));
    }

    private static void AssertMutualTrust(IssuedCertificates state, DateTimeOffset now)
    {
        Assert.True(state.Agent.NotBefore.ToUniversalTime() <= now && now < state.Agent.NotAfter.ToUniversalTime());
        Assert.True(AgentClient.IsAgent(state.Agent, state.Trust), "the gateway accepts the agents' certificate");
        Assert.True(ClusterEndpoint.IsGateway(state.Gateway, state.Trust), "the agents accept the gateway's certificate");
    }
}
