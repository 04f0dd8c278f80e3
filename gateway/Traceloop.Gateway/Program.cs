using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Certificates;
using Traceloop.Gateway.Hosting;
using Traceloop.Gateway.Http;

// traceloop-gateway: the aggregated API server in front of the node agents. See docs/ARCHITECTURE.md, "Who may read what".

var switches = new Dictionary<string, string>
{
    ["--address"] = nameof(GatewayOptions.Address),
    ["--tls-cert"] = nameof(GatewayOptions.TlsCert),
    ["--tls-key"] = nameof(GatewayOptions.TlsKey),
    ["--agent-tls-dir"] = nameof(GatewayOptions.AgentTlsDir),
    ["--issue-certificates"] = nameof(GatewayOptions.IssueCertificates),
    ["--kubeconfig"] = nameof(GatewayOptions.Kubeconfig),
    ["--agent-namespace"] = nameof(GatewayOptions.AgentNamespace),
    ["--agent-selector"] = nameof(GatewayOptions.AgentSelector),
    ["--agent-port"] = nameof(GatewayOptions.AgentPort),
    ["--agent-timeout"] = nameof(GatewayOptions.AgentTimeout),
    ["--agent-concurrency"] = nameof(GatewayOptions.AgentConcurrency),
    ["--authentication-refresh"] = nameof(GatewayOptions.AuthenticationRefresh),
};

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(GatewayHelp.Text);
    return 0;
}

// A bare --issue-certificates means "true" (the command-line provider wants a value after every switch).
args = [.. args.Select((a, i) => a == "--issue-certificates" && (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) ? a + "=true" : a)];

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Configuration.Sources.Clear();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Logging:LogLevel:Default"] = "Information",
    ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    ["Logging:LogLevel:Microsoft.Extensions.Hosting"] = "Critical",
});
builder.Configuration.AddEnvironmentVariables("TRACELOOP_GATEWAY_");
builder.Configuration.AddCommandLine(args, switches);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
    o.UseUtcTimestamp = true;
});

var options = new GatewayOptions();
TlsFiles? servingFiles;
TlsFiles? agentTls;
try
{
    builder.Configuration.Bind(options);
    ValidateOptionsResult validation = new GatewayOptionsValidator().Validate(null, options);
    if (validation.Failed)
    {
        foreach (string failure in validation.Failures)
        {
            Console.Error.WriteLine($"traceloop-gateway: {failure}");
        }
        return 2;
    }
    // Read now, so a missing or broken Secret stops the start with its reason.
    // Without files the issuer's serving certificate is served, from memory: no volume to wait for.
    servingFiles = options.TlsCert.Length > 0 ? TlsFiles.Open(options.TlsCert, options.TlsKey, null) : null;
    agentTls = options.IssueCertificates ? null : TlsFiles.InDirectory(options.AgentTlsDir);
    ApiServerConfig.Create(options);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"traceloop-gateway: {e.Message}");
    return 2;
}

builder.Services.AddTraceloopGateway(builder.Configuration, agentTls);
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    // No request carries a body worth more than this (a snapshot's is empty); dumps are responses.
    k.Limits.MaxRequestBodySize = 64 * 1024;
    k.Limits.MaxConcurrentConnections = 512;
    k.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
    Func<X509Certificate2> serving = servingFiles is not null ? () => servingFiles.Certificate : () =>
        k.ApplicationServices.GetRequiredService<CertificateIssuer>().ServingCertificate
        // Refuses this handshake only; the issuer retries until it has one.
        ?? throw new AuthenticationException("the serving certificate is not issued yet");
    k.Listen(ListenAddress.Parse(options.Address)!, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
    {
        ServerCertificateSelector = (_, _) => serving(),
        // A certificate is asked for but not required at the handshake: who sent which one is
        // decided per request (FrontProxyAuthentication), against the front-proxy CA as it is
        // now, so that a caller without one gets a 401 Status it can read, not a TLS alert.
        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
        ClientCertificateValidation = (_, _, _) => true,
    }));
});

WebApplication app = builder.Build();
app.UseMiddleware<FrontProxyAuthentication>();
app.MapGet("/healthz", () => "ok");
app.MapGet("/livez", () => "ok");
app.MapGet("/readyz", () => "ok");
app.MapDiscoveryEndpoints();
string prefix = $"/apis/{ResourceAccess.Group}/{ResourceAccess.Version}";
app.MapPodEndpoints(prefix);
app.MapCrashDumpEndpoints(prefix);
app.MapFallback(context =>
{
    AccessRecord.Of(context).Result = "not-found";
    return KubeStatus.WriteAsync(context, 404, "the server could not find the requested resource");
});

try
{
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or IOException or OptionsValidationException)
{
    Console.Error.WriteLine($"traceloop-gateway: {e.Message}");
    return 1;
}
