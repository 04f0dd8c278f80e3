using System.Security.Cryptography.X509Certificates;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.TestCommon.Certificates;

namespace Traceloop.FunctionalTests.Gateway;

/// <summary>
/// The certificates between gateway and agents, as the gateway's issuer would make them: one
/// cluster CA, the agents' serving certificate (CN traceloop-agent) and the gateway's client
/// certificate (CN traceloop-gateway), each written as a tls.crt/tls.key/ca.crt directory the way
/// a mounted Secret looks; plus a stranger's client certificate from another CA.
/// </summary>
public sealed class ClusterCertificates : IDisposable
{
    private readonly string _root;

    private ClusterCertificates(string root, X509Certificate2 ca, X509Certificate2 agent, X509Certificate2 gateway, X509Certificate2 stranger)
    {
        _root = root;
        Ca = ca;
        Agent = agent;
        Gateway = gateway;
        Stranger = stranger;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Agent { get; }

    public X509Certificate2 Gateway { get; }

    /// <summary>A client certificate named traceloop-gateway but signed by a CA of its own.</summary>
    public X509Certificate2 Stranger { get; }

    public string AgentDir => Path.Join(_root, "agent");

    public string GatewayDir => Path.Join(_root, "gateway");

    public static ClusterCertificates Create()
    {
        string root = Directory.CreateTempSubdirectory("traceloop-cluster-tls-").FullName;
        using X509Certificate2 ca = TestCa.CreateCa("traceloop-cluster-ca");
        X509Certificate2 agent = TestCa.Issue(ca, "traceloop-agent", TestCa.ServerAuth, dns: "traceloop-agent");
        X509Certificate2 gateway = TestCa.Issue(ca, "traceloop-gateway", TestCa.ClientAuth, dns: "traceloop-gateway");
        using X509Certificate2 otherCa = TestCa.CreateCa("someone-else");
        X509Certificate2 stranger = TestCa.Issue(otherCa, "traceloop-gateway", TestCa.ClientAuth);
        var certificates = new ClusterCertificates(root, TestCa.PublicPart(ca), agent, gateway, stranger);
        Write(certificates.AgentDir, agent, certificates.Ca);
        Write(certificates.GatewayDir, gateway, certificates.Ca);
        return certificates;
    }

    private static void Write(string dir, X509Certificate2 leaf, X509Certificate2 ca)
    {
        Directory.CreateDirectory(dir);
        TestCa.WritePem(leaf, Path.Join(dir, "tls.crt"), Path.Join(dir, "tls.key"));
        File.WriteAllText(Path.Join(dir, "ca.crt"), ca.ExportCertificatePem());
    }

    public void Dispose()
    {
        Ca.Dispose();
        Agent.Dispose();
        Gateway.Dispose();
        Stranger.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
