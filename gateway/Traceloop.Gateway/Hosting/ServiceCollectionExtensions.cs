using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Gateway.Authentication;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Kubernetes;
using Traceloop.Gateway.Routing;

namespace Traceloop.Gateway.Hosting;

/// <summary>The gateway's composition root: each part an ordinary singleton, built from what it depends on.</summary>
internal static class ServiceCollectionExtensions
{
    /// <param name="agentTls">The gateway's client certificate for the agents, read before the host is built so a bad one stops the start.</param>
    public static IServiceCollection AddTraceloopGateway(this IServiceCollection services, IConfiguration configuration, TlsFiles agentTls)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton(sp => new ApiServerClient(new KubernetesConnection(ApiServerConfig.Create(sp.GetRequiredService<IOptions<GatewayOptions>>().Value))));
        services.AddSingleton<FrontProxyTrustSource>();
        services.AddHostedService(sp => sp.GetRequiredService<FrontProxyTrustSource>());
        services.AddSingleton<AccessReviewer>();
        services.AddSingleton(sp =>
        {
            GatewayOptions o = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return new AgentClient(agentTls, o.AgentPort, o.AgentTimeout);
        });
        services.AddSingleton<AgentRouter>();
        return services;
    }
}
