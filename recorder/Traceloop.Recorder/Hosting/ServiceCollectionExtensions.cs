using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Traceloop.Api;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Store;

namespace Traceloop.Recorder.Hosting;

internal static class ServiceCollectionExtensions
{
    public static IServiceCollection AddTraceloopRecorder(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RecorderOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecorderOptions>, RecorderOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<NodeRecorder>();
        services.AddKubernetesPodWatcher(configuration);
        services.AddHostedService<RecorderService>();
        // After the recorder: crash collection hooks into its registry.
        services.AddOptions<CrashOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CrashOptions>, CrashOptionsValidator>();
        services.AddSingleton<DumpStore>();
        services.AddSingleton<DumpAnnouncer>();
        services.AddHostedService(sp => sp.GetRequiredService<DumpAnnouncer>());
        services.AddSingleton<DumpKeeper>();
        services.AddHostedService<CrashCollector>();
        // After the recorder: selection needs its kernel maps and registry.
        services.AddOptions<SelectionOptions>().Bind(configuration.GetSection("Selection")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SelectionOptions>, SelectionOptionsValidator>();
        services.AddSingleton<PodSelection>();
        services.AddHostedService(sp => sp.GetRequiredService<PodSelection>());
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, TraceloopJson.Context);
            o.SerializerOptions.Encoder = TraceloopJson.Options.Encoder;
            o.SerializerOptions.DefaultIgnoreCondition = TraceloopJson.Options.DefaultIgnoreCondition;
        });
        return services;
    }
}
