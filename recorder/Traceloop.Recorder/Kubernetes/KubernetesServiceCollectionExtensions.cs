using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Traceloop.Recorder.Kubernetes;

internal static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// The pod metadata source: <see cref="PodCache"/> and the <see cref="PodWatcher"/> that
    /// fills it, with <see cref="KubernetesOptions"/> bound from <paramref name="configuration"/>.
    /// </summary>
    public static IServiceCollection AddKubernetesPodWatcher(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KubernetesOptions>().Bind(configuration).ValidateOnStart();
        services.TryAddSingleton(KubernetesEnvironment.Process);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IValidateOptions<KubernetesOptions>, KubernetesOptionsValidator>();
        services.AddSingleton<PodCache>();
        services.AddSingleton<ContainerNames>();
        services.AddSingleton<PodWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<PodWatcher>());
        return services;
    }
}
