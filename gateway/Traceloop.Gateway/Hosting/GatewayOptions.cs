namespace Traceloop.Gateway.Hosting;

/// <summary>
/// Everything an operator can set, with its default: bound from TRACELOOP_GATEWAY_* environment
/// variables and the command line (--address, --tls-cert, --tls-key, --agent-tls-dir, ...).
/// </summary>
internal sealed class GatewayOptions
{
    /// <summary>Where the kube-apiserver's aggregation layer reaches this server ("host:port" or ":port").</summary>
    public string Address { get; set; } = ":8443";

    /// <summary>
    /// The serving certificate (PEM), the one the APIService's caBundle vouches for; re-read when it
    /// changes. Required unless <see cref="IssueCertificates"/>, which then issues and serves its own.
    /// </summary>
    public string TlsCert { get; set; } = "";

    /// <summary>The serving certificate's private key (PEM).</summary>
    public string TlsKey { get; set; } = "";

    /// <summary>
    /// The gateway's client certificate for the agents: tls.crt, tls.key and the cluster CA in
    /// ca.crt, made by someone else. Either this or <see cref="IssueCertificates"/>.
    /// </summary>
    public string AgentTlsDir { get; set; } = "";

    /// <summary>
    /// Be the cluster CA: keep Secrets traceloop-cluster-ca, traceloop-agent-tls and
    /// traceloop-gateway-tls in <see cref="AgentNamespace"/> and renew them, serve the last one's
    /// certificate, and write the CA bundle into the APIService (Certificates/CertificateIssuer).
    /// </summary>
    public bool IssueCertificates { get; set; }

    /// <summary>A kubeconfig for out-of-cluster use; empty means the in-cluster service account, else KUBECONFIG.</summary>
    public string Kubeconfig { get; set; } = "";

    /// <summary>The namespace of the agent DaemonSet's pods.</summary>
    public string AgentNamespace { get; set; } = "traceloop";

    /// <summary>The label selector of the agent pods.</summary>
    public string AgentSelector { get; set; } = "app.kubernetes.io/name=traceloop";

    /// <summary>The port of the agents' cluster listener (their --cluster-address).</summary>
    public int AgentPort { get; set; } = 9444;

    /// <summary>How long one agent may take to answer before it is reported unreachable (a dump's body may stream longer).</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Agents asked at once by a cluster-wide list.</summary>
    public int AgentConcurrency { get; set; } = 16;

    /// <summary>How often the front-proxy trust (ConfigMap kube-system/extension-apiserver-authentication) is re-read.</summary>
    public TimeSpan AuthenticationRefresh { get; set; } = TimeSpan.FromMinutes(1);
}
