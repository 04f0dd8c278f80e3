using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Http;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Metrics;
using Traceloop.Recorder.Store;
using Traceloop.Recorder.Tls;

namespace Traceloop.Recorder.Hosting;

/// <summary>
/// The composition root: every part of the recorder is an ordinary singleton here, built by the
/// container from what it depends on, so none is ever handed out half-built and the order of
/// registration does not matter. Hosting depends on the rooms; no room depends on Hosting.
/// </summary>
internal static class ServiceCollectionExtensions
{
    public static IServiceCollection AddTraceloopRecorder(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RecorderOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecorderOptions>, RecorderOptionsValidator>();
        services.AddOptions<CrashOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CrashOptions>, CrashOptionsValidator>();
        services.AddOptions<SelectionOptions>().Bind(configuration.GetSection("Selection")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SelectionOptions>, SelectionOptionsValidator>();
        services.AddOptions<CaptureOptions>().Bind(configuration.GetSection(CaptureOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CaptureOptions>, CaptureOptionsValidator>();
        services.AddOptions<DumpStoreOptions>().Configure<IOptions<RecorderOptions>, IOptions<CrashOptions>>(
            (store, recorder, crash) => StoreOptions.Apply(store, recorder.Value, crash.Value));
        services.AddSingleton(TimeProvider.System);

        services.AddKernelSide();
        services.AddKubernetesPodWatcher(configuration);
        services.AddTraceloopMetrics(configuration);

        services.AddSingleton(sp => new Redactor(sp.GetRequiredService<IOptions<RecorderOptions>>().Value.Redact, sp.GetRequiredService<ILogger<Redactor>>()));
        services.AddSingleton<ContainerLookup>();
        services.AddSingleton<DumpService>();
        services.AddSingleton<DumpStore>();
        services.AddSingleton<DumpAnnouncer>();
        services.AddHostedService(sp => sp.GetRequiredService<DumpAnnouncer>());
        services.AddSingleton<DumpKeeper>();
        services.AddSingleton<CrashCounts>();
        services.AddHostedService<CrashCollector>();
        services.AddSingleton<PodSelection>();
        services.AddHostedService(sp => sp.GetRequiredService<PodSelection>());
        services.AddSingleton<CaptureRules>();
        services.AddHostedService(sp => sp.GetRequiredService<CaptureRules>());

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<RecorderOptions>>((kestrel, recorder) => ApiLimits.Apply(kestrel, recorder.Value));
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RecorderOptions>>((limiter, recorder) =>
            DumpConcurrency.Configure(limiter, recorder.Value.MaxConcurrentDumps, recorder.Value.DumpQueue));

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, TraceloopJson.Context);
            o.SerializerOptions.Encoder = TraceloopJson.Options.Encoder;
            o.SerializerOptions.DefaultIgnoreCondition = TraceloopJson.Options.DefaultIgnoreCondition;
        });
        return services;
    }

    /// <summary>
    /// The kernel side: the cgroup view, the loaded BPF object behind the <see cref="IRecordingKernel"/>
    /// seam, the container registry with its rings, and the control channel. The container builds
    /// them the first time something needs them (the host's services, before the server listens);
    /// a failure there (no BTF, no CAP_BPF) stops the start with its reason.
    /// </summary>
    private static IServiceCollection AddKernelSide(this IServiceCollection services)
    {
        services.AddSingleton(sp => CgroupFs.Locate(sp.GetRequiredService<IOptions<RecorderOptions>>().Value.CgroupHierarchy));
        services.AddSingleton(sp =>
        {
            RecorderOptions options = sp.GetRequiredService<IOptions<RecorderOptions>>().Value;
            return KernelProbes.Open(
                KernelConfig.From(options, sp.GetRequiredService<IOptions<CrashOptions>>().Value,
                    sp.GetRequiredService<IOptions<MetricsOptions>>().Value, sp.GetRequiredService<CgroupFs>()),
                options.PinDir, options.Reset, sp.GetRequiredService<IPinnedStateArchive>(), sp.GetRequiredService<ILogger<KernelProbes>>());
        });
        services.AddSingleton<IPinnedStateArchive, ReplacedRecordingArchive>();
        services.AddSingleton<IRecordingKernel>(sp => new LibbpfKernel(sp.GetRequiredService<KernelProbes>()));
        services.AddSingleton<ContainerEvents>();
        services.AddSingleton<PodExclusions>();
        services.AddSingleton(sp =>
        {
            // The default is in the kernel before the registry adopts anything; rules follow as pods are known.
            CaptureOptions capture = sp.GetRequiredService<IOptions<CaptureOptions>>().Value;
            CaptureLevel @default = CapturePlan.TryParse(capture, out CapturePlan? plan, out string? error)
                ? plan.Default
                : throw new OptionsValidationException(Options.DefaultName, typeof(CaptureOptions), [error]);
            return new PodCaptureLevels(sp.GetRequiredService<IRecordingKernel>(), @default);
        });
        services.AddSingleton(sp =>
        {
            RecorderOptions options = sp.GetRequiredService<IOptions<RecorderOptions>>().Value;
            return new ContainerRegistry(sp.GetRequiredService<IRecordingKernel>(), sp.GetRequiredService<CgroupFs>(),
                sp.GetRequiredService<PodExclusions>(), sp.GetRequiredService<PodCaptureLevels>(), sp.GetRequiredService<ContainerEvents>(),
                options.GracePeriod, options.SpareRings, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ContainerRegistry>>());
        });
        services.AddSingleton<IKernelNotices, ControlChannel>();
        services.AddHostedService<RecorderService>();

        services.AddOptions<TlsOptions>().Configure<IOptions<RecorderOptions>>((tls, recorder) => tls.Enabled = recorder.Value.TlsEnabled);
        services.AddSingleton<ITlsKernel>(sp => new LibbpfTlsKernel(sp.GetRequiredService<KernelProbes>(), sp.GetRequiredService<ILogger<LibbpfTlsKernel>>()));
        services.AddSingleton<TlsProbeService>();
        services.AddHostedService(sp => sp.GetRequiredService<TlsProbeService>());
        return services;
    }
}
