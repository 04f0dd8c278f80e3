using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Metrics;

internal static class MetricsServiceCollectionExtensions
{
    /// <summary>The kernel counters behind <see cref="IKernelMetrics"/>, the exposition, and the pruning of ended containers' series.</summary>
    public static IServiceCollection AddTraceloopMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetricsOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>();
        services.AddSingleton<IKernelMetrics>(sp => new LibbpfKernelMetrics(sp.GetRequiredService<KernelProbes>()));
        services.AddSingleton<RecorderMetrics>();
        services.AddHostedService<SyscallMetricsPruner>();
        return services;
    }
}
