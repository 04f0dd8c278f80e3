using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Gateway.Authentication;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Certificates;
using Traceloop.Gateway.Kubernetes;
using Traceloop.Gateway.Routing;

namespace Traceloop.Gateway.Hosting;

/// <summary>The gateway's composition root: each part an ordinary singleton, built from what it depends on.</summary>
internal static class ServiceCollectionExtensions
{
    /// <param name="agentTls">
    /// The gateway's client certificate for the agents from --agent-tls-dir, read before the host is
    /// built so a bad one stops the start; null when the gateway issues its own (--issue-certificates).
    /// </param>
    public static IServiceCollection AddTraceloopGateway(this IServiceCollection services, IConfiguration configuration, TlsFiles? agentTls)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<GatewayOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton(sp => new ApiServerClient(new KubernetesConnection(ApiServerConfig.Create(sp.GetRequiredService<IOptions<GatewayOptions>>().Value))));
        services.AddSingleton<FrontProxyTrustSource>();
        services.AddHostedService(sp => sp.GetRequiredService<FrontProxyTrustSource>());
        services.AddSingleton<AccessReviewer>();
        if (agentTls is null)
        {
            services.AddSingleton<CertificateIssuer>();
            services.AddHostedService(sp => sp.GetRequiredService<CertificateIssuer>());
            services.AddSingleton<ITlsCredentials>(sp => sp.GetRequiredService<CertificateIssuer>());
        }
        else
        {
            services.AddSingleton<ITlsCredentials>(agentTls);
        }
        services.AddSingleton(sp =>
        {
            GatewayOptions o = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return new AgentClient(sp.GetRequiredService<ITlsCredentials>(), o.AgentPort, o.AgentTimeout);
        });
        services.AddSingleton<AgentRouter>();
        return services;
    }
}
