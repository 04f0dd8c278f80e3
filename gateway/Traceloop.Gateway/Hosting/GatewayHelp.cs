using System.Globalization;

namespace Traceloop.Gateway.Hosting;

/// <summary>The text of <c>traceloop-gateway --help</c>; each default is read from <see cref="GatewayOptions"/>, where it is written once.</summary>
internal static class GatewayHelp
{
    public static string Text => Build(new GatewayOptions());

    internal static string Build(GatewayOptions o) => $"""
        traceloop-gateway: the cluster-facing traceloop API (traceloop.dev/v1alpha1), served behind the
        kube-apiserver's aggregation layer. Each request is authenticated by the front-proxy client
        certificate, authorized by a SubjectAccessReview, and routed to the agent on the pod's node.

        Options (also TRACELOOP_GATEWAY_<NAME> environment variables):
          --address ADDR          host:port or :port to serve HTTPS on   (default {o.Address})
          --tls-cert FILE         serving certificate (PEM), re-read when it changes
          --tls-key FILE          its private key (PEM); both required without --issue-certificates
          --agent-tls-dir DIR     tls.crt, tls.key, ca.crt: the gateway's client certificate for
                                  the agents and the CA their certificates chain to
          --issue-certificates    instead, be the cluster CA: keep Secrets traceloop-cluster-ca,
                                  traceloop-agent-tls and traceloop-gateway-tls in the agent
                                  namespace, renewed at 2/3 of their life, serve the last one's
                                  certificate (unless --tls-cert is given) and write the CA into
                                  APIService v1alpha1.traceloop.dev (one of these two is required)
          --kubeconfig FILE       API server credentials (default: in-cluster service account, else KUBECONFIG)
          --agent-namespace NS    namespace of the agent pods            (default {o.AgentNamespace})
          --agent-selector LABELS label selector of the agent pods       (default {o.AgentSelector})
          --agent-port PORT       the agents' cluster listener port      (default {o.AgentPort.ToString(CultureInfo.InvariantCulture)})
          --agent-timeout SPAN    per-agent answer timeout               (default {o.AgentTimeout.ToString("c", CultureInfo.InvariantCulture)})
          --agent-concurrency N   agents asked at once by a list         (default {o.AgentConcurrency.ToString(CultureInfo.InvariantCulture)})
          --authentication-refresh SPAN  how often the front-proxy trust is re-read (default {o.AuthenticationRefresh.ToString("c", CultureInfo.InvariantCulture)})
        """;
}
