using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Hosting;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Metrics;

// traceloop-recorder: the node daemon. See README.md for the options and the API.

var switches = new Dictionary<string, string>
{
    ["--socket"] = nameof(RecorderOptions.SocketPath),
    ["--cluster-address"] = nameof(RecorderOptions.ClusterAddress),
    ["--cluster-tls-dir"] = nameof(RecorderOptions.ClusterTlsDir),
    ["--data-dir"] = nameof(RecorderOptions.DataDir),
    ["--ring-size"] = nameof(RecorderOptions.RingSize),
    ["--max-containers"] = nameof(RecorderOptions.MaxContainers),
    ["--grace-period"] = nameof(RecorderOptions.GracePeriod),
    ["--spare-rings"] = nameof(RecorderOptions.SpareRings),
    ["--max-string"] = nameof(RecorderOptions.MaxStringBytes),
    ["--max-bytes"] = nameof(RecorderOptions.MaxDataBytes),
    ["--max-tls-bytes"] = nameof(RecorderOptions.MaxTlsBytes),
    ["--max-argv"] = nameof(RecorderOptions.MaxArgv),
    ["--tls"] = nameof(RecorderOptions.Tls),
    ["--socket-mode"] = nameof(RecorderOptions.SocketMode),
    ["--socket-group"] = nameof(RecorderOptions.SocketGroup),
    ["--cgroup-hierarchy"] = nameof(RecorderOptions.CgroupHierarchy),
    ["--max-dumps"] = nameof(RecorderOptions.MaxConcurrentDumps),
    ["--dump-queue"] = nameof(RecorderOptions.DumpQueue),
    ["--min-response-rate"] = nameof(RecorderOptions.MinResponseRate),
    ["--min-response-grace"] = nameof(RecorderOptions.MinResponseRateGrace),
    ["--max-connections"] = nameof(RecorderOptions.MaxConnections),
    ["--pin-dir"] = nameof(RecorderOptions.PinDir),
    ["--reset"] = nameof(RecorderOptions.Reset),
    ["--uninstall"] = nameof(RecorderOptions.Uninstall),
    ["--kubeconfig"] = "Kubeconfig",
    ["--node-name"] = "NodeName",
    ["--namespaces"] = "Selection:Namespaces",
    ["--exclude-namespaces"] = "Selection:ExcludeNamespaces",
    ["--selector"] = "Selection:LabelSelector",
    ["--config"] = "ConfigFile",
    ["--dump-on-exit"] = nameof(CrashOptions.DumpOnExit),
    ["--dump-on-signal"] = nameof(CrashOptions.DumpOnSignal),
    ["--dump-on-oom"] = nameof(CrashOptions.DumpOnOom),
    ["--dump-on-fatal-signal"] = nameof(CrashOptions.DumpOnFatalSignal),
    ["--watch-syscall-errors"] = nameof(CrashOptions.WatchSyscallErrors),
    ["--dumps-per-container"] = nameof(CrashOptions.DumpsPerContainer),
    ["--dumps-max-bytes"] = nameof(CrashOptions.DumpsMaxBytes),
    ["--dumps-min-free"] = nameof(CrashOptions.DumpsMinFreeBytes),
    ["--dump-event-interval"] = nameof(CrashOptions.DumpEventInterval),
    ["--trigger-cooldown"] = nameof(CrashOptions.TriggerCooldown),
    ["--metrics"] = nameof(MetricsOptions.Metrics),
    ["--metrics-address"] = nameof(MetricsOptions.MetricsAddress),
    ["--metrics-series"] = nameof(MetricsOptions.MetricsSeries),
};

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(RecorderHelp.Text);
    return 0;
}

args = RedactArguments.Expand(args, out string? redactError);
if (redactError is not null)
{
    Console.Error.WriteLine($"traceloop-recorder: {redactError}");
    return 2;
}

// A bare --reset or --uninstall means "true" (the command-line provider wants a value after every switch).
args = [.. args.Select((a, i) => a is "--reset" or "--uninstall" && (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) ? a + "=true" : a)];

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Configuration.Sources.Clear();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Logging:LogLevel:Default"] = "Information",
    ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    // A failed start is reported once, as one sentence, by Main below.
    ["Logging:LogLevel:Microsoft.Extensions.Hosting"] = "Critical",
});
var commandLine = new ConfigurationBuilder().AddCommandLine(args, switches).Build();
string configFile = commandLine["ConfigFile"] ?? Environment.GetEnvironmentVariable("TRACELOOP_CONFIG") ?? RecorderOptions.DefaultConfigFile;
// Reloaded when it changes: the pod selection follows it within seconds.
builder.Configuration.AddJsonFile(configFile, optional: commandLine["ConfigFile"] is null, reloadOnChange: true);
builder.Configuration.AddEnvironmentVariables("TRACELOOP_");
builder.Configuration.AddCommandLine(args, switches);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
    o.UseUtcTimestamp = true;
});

builder.Services.AddTraceloopRecorder(builder.Configuration);

var options = new RecorderOptions();
try
{
    builder.Configuration.Bind(options);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"traceloop-recorder: {e.Message}");
    return 2;
}
// Checked before Kestrel sees the socket path, so every mistake is reported at once, plainly.
var crashOptions = new CrashOptions();
try
{
    builder.Configuration.Bind(crashOptions);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"traceloop-recorder: {e.Message}");
    return 2;
}
var captureOptions = new CaptureOptions();
try
{
    builder.Configuration.GetSection(CaptureOptions.Section).Bind(captureOptions);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"traceloop-recorder: {e.Message}");
    return 2;
}
var metricsOptions = new MetricsOptions();
builder.Configuration.Bind(metricsOptions);
ValidateOptionsResult validation = new RecorderOptionsValidator().Validate(null, options);
ValidateOptionsResult crashValidation = new CrashOptionsValidator().Validate(null, crashOptions);
ValidateOptionsResult captureValidation = new CaptureOptionsValidator().Validate(null, captureOptions);
ValidateOptionsResult metricsValidation = new MetricsOptionsValidator().Validate(null, metricsOptions);
if (validation.Failed || crashValidation.Failed || captureValidation.Failed || metricsValidation.Failed)
{
    foreach (string failure in (validation.Failures ?? []).Concat(crashValidation.Failures ?? []).Concat(captureValidation.Failures ?? []).Concat(metricsValidation.Failures ?? []))
    {
        Console.Error.WriteLine($"traceloop-recorder: {failure}");
    }
    return 2;
}
if (options.Uninstall)
{
    // Nothing is loaded or served: the pinned recording is discarded and that is all.
    try
    {
        Console.WriteLine($"traceloop-recorder: {KernelPins.Uninstall(options.PinDir)}");
        return 0;
    }
    catch (Exception e) when (e is BpfException or KernelPinsUnavailableException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"traceloop-recorder: {e.Message}");
        return 1;
    }
}
builder.WebHost.ConfigureKestrel(k =>
{
    // The Unix socket, and a TCP listener only when --cluster-address asks for one.
    // Their limits are set with the services (ApiLimits), so the tests that host the API have them too.
    k.ListenUnixSocket(options.SocketPath);
    if (options.ClusterAddress.Length > 0)
    {
        // Its TLS files may not exist yet (the gateway creates the Secret): waited for, not fatal.
        ILoggerFactory loggers = k.ApplicationServices.GetRequiredService<ILoggerFactory>();
        var clusterTls = new ClusterTls(options.ClusterTlsDir, TimeProvider.System, loggers.CreateLogger("Traceloop.Recorder.Hosting.ClusterTls"));
        ClusterEndpoint.Listen(k, ListenAddress.Parse(options.ClusterAddress)!, clusterTls, loggers.CreateLogger("Traceloop.Recorder.Hosting.ClusterEndpoint"));
    }
    // And TCP only when asked, for Prometheus in the cluster; it serves /metrics alone (MetricsEndpoints).
    if (metricsOptions.Endpoint() is { } metricsEndpoint)
    {
        k.Listen(metricsEndpoint);
    }
});

WebApplication app;
try
{
    app = builder.Build();
    RecorderOptions validated = app.Services.GetRequiredService<IOptions<RecorderOptions>>().Value;
    UnixSocketEndpoint.PrepareForBind(validated.SocketPath);
    Directory.CreateDirectory(validated.DataDir);
    app.Lifetime.ApplicationStarted.Register(() => UnixSocketEndpoint.Secure(validated.SocketPath,
        RecorderOptionsValidator.SocketModeBits(validated), validated.SocketGroup, app.Logger));
    app.Lifetime.ApplicationStopped.Register(() => UnixSocketEndpoint.Remove(validated.SocketPath));
}
catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"traceloop-recorder: {e.Message}");
    return 2;
}

app.MapTraceloopApi();

try
{
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (Exception e) when (e is BpfException or InvalidOperationException or IOException or UnauthorizedAccessException or OptionsValidationException)
{
    Console.Error.WriteLine($"traceloop-recorder: {e.Message}");
    return 1;
}
