using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Hosting;

// traceloop-recorder: the node daemon. See README.md for the options and the API.

var switches = new Dictionary<string, string>
{
    ["--socket"] = nameof(RecorderOptions.SocketPath),
    ["--data-dir"] = nameof(RecorderOptions.DataDir),
    ["--ring-size"] = nameof(RecorderOptions.RingSize),
    ["--max-containers"] = nameof(RecorderOptions.MaxContainers),
    ["--grace-period"] = nameof(RecorderOptions.GracePeriod),
    ["--spare-rings"] = nameof(RecorderOptions.SpareRings),
    ["--max-string"] = nameof(RecorderOptions.MaxStringBytes),
    ["--max-bytes"] = nameof(RecorderOptions.MaxDataBytes),
    ["--max-argv"] = nameof(RecorderOptions.MaxArgv),
    ["--socket-mode"] = nameof(RecorderOptions.SocketMode),
    ["--socket-group"] = nameof(RecorderOptions.SocketGroup),
    ["--cgroup-hierarchy"] = nameof(RecorderOptions.CgroupHierarchy),
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
};

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        traceloop-recorder: records every syscall of every container on this host into per-container
        kernel ring buffers, and serves them over HTTP on a Unix socket.

        Options (also TRACELOOP_<NAME> environment variables, or a JSON config file):
          --socket PATH          Unix socket of the API               (default /run/traceloop/traceloop.sock)
          --data-dir DIR         where crash dumps are kept           (default /var/lib/traceloop)
          --ring-size SIZE       ring per container, 64K..2M          (default 1M)
          --max-containers N     containers with a ring at once       (default 128)
          --grace-period SPAN    how long ended containers stay       (default 00:10:00)
          --spare-rings N        rings made ahead for new containers  (default 4)
          --max-string BYTES     bytes kept of a path argument        (default 256)
          --max-bytes BYTES      bytes kept of a data buffer          (default 64)
          --max-argv N           execve arguments kept                (default 16)
          --socket-mode MODE     socket permission bits               (default 0660)
          --socket-group NAME    group given the socket, if it exists (default traceloop)
          --cgroup-hierarchy H   auto, unified, or a v1 controller    (default auto: v2 if mounted)
          --kubeconfig FILE      use this cluster for pod names       (default: in-cluster config, else KUBECONFIG, else none)
          --node-name NAME       this node's name in the cluster      (default: NODE_NAME)
          --namespaces A,B       record only pods in these namespaces (default: all)
          --exclude-namespaces A,B  never record pods in these namespaces
          --selector LABELS      record only pods matching (app=web,tier!=db)
          --config FILE          JSON file with the settings above    (default /etc/traceloop/config.json)

        Crash collection (dumps kept under DIR/dumps, listed by GET /dumps):
          --dump-on-exit BOOL        main process exits non-zero      (default true)
          --dump-on-signal BOOL      main process killed by a signal  (default true)
          --dump-on-oom BOOL         OOM killer chose a process       (default true)
          --dump-on-fatal-signal BOOL  SIGSEGV/SIGBUS/... delivered, even if handled (default false)
          --watch-syscall-errors L   syscall:ERRNO,... failures that keep a dump (default none; e.g. connect:ECONNREFUSED)
          --dumps-per-container N    dumps kept per container         (default 10)
          --dumps-max-bytes SIZE     all dumps together, at most      (default 1G)
          --dumps-min-free SIZE      free disk below which none is written (default 512M)
          --dump-event-interval SPAN at most one Kubernetes Event per container per SPAN (default 00:05:00)
          --trigger-cooldown SPAN    at most one fatal-signal/syscall-error dump per container per SPAN (default 00:01:00)
        """);
    return 0;
}

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
string configFile = commandLine["ConfigFile"] ?? Environment.GetEnvironmentVariable("TRACELOOP_CONFIG") ?? "/etc/traceloop/config.json";
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
ValidateOptionsResult validation = new RecorderOptionsValidator().Validate(null, options);
ValidateOptionsResult crashValidation = new CrashOptionsValidator().Validate(null, crashOptions);
if (validation.Failed || crashValidation.Failed)
{
    foreach (string failure in (validation.Failures ?? []).Concat(crashValidation.Failures ?? []))
    {
        Console.Error.WriteLine($"traceloop-recorder: {failure}");
    }
    return 2;
}
builder.WebHost.ConfigureKestrel(k =>
{
    // Only the Unix socket: no TCP listener exists unless someone adds one deliberately.
    k.ListenUnixSocket(options.SocketPath);
    k.AddServerHeader = false;
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
