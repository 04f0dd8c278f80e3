using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.TestCommon.Certificates;

namespace Traceloop.FunctionalTests.Gateway;

/// <summary>
/// The real traceloop-gateway binary (the one the build produced) as a child process, serving
/// HTTPS on a loopback port with the fake API server's serving certificate, and reaching that
/// server with a kubeconfig, as it would out of cluster.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dir;

    private GatewayProcess(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Url = new Uri($"https://127.0.0.1:{port}/");
    }

    public static string BinaryPath => Path.Join(AppContext.BaseDirectory, "traceloop-gateway");

    public Uri Url { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A free loopback TCP port (free when asked: good enough for a test's listener).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts the gateway against <paramref name="api"/> and waits until it answers /readyz; with
    /// <paramref name="cluster"/> null it is the issuer of the cluster certificates (--issue-certificates).
    /// </summary>
    public static Task<GatewayProcess> StartAsync(ApiServerFixture api, ClusterCertificates? cluster, int agentPort, CancellationToken ct) =>
        StartAsync(api, cluster, agentPort, servingFiles: true, ct);

    /// <summary>
    /// As <see cref="StartAsync(ApiServerFixture, ClusterCertificates?, int, CancellationToken)"/>;
    /// with <paramref name="servingFiles"/> false the issuer serves its own certificate (no
    /// --tls-cert), and the fixture trusts it only by APIService <see cref="ApiService"/>'s
    /// caBundle, which the test must have added (<see cref="ApiServerFixture.AddApiService"/>).
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(ApiServerFixture api, ClusterCertificates? cluster, int agentPort, bool servingFiles, CancellationToken ct)
    {
        string dir = Directory.CreateTempSubdirectory("traceloop-gateway-").FullName;
        string cert = Path.Join(dir, "serving.crt"), key = Path.Join(dir, "serving.key");
        // The API server's own serving certificate (127.0.0.1) will do: the fixture trusts its CA when forwarding.
        TestCa.WritePem(api.Certificates.Server, cert, key);
        int port = FreePort();
        var psi = new ProcessStartInfo(BinaryPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] agentTls = cluster is null ? ["--issue-certificates"] : ["--agent-tls-dir", cluster.GatewayDir];
        string[] serving = servingFiles ? ["--tls-cert", cert, "--tls-key", key] : [];
        foreach (string a in (string[])["--address", $"127.0.0.1:{port}", .. serving, .. agentTls,
            "--kubeconfig", api.WriteKubeconfig(), "--agent-port", $"{agentPort}", "--agent-timeout", "00:00:10"])
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start traceloop-gateway");
        var gateway = new GatewayProcess(process, dir, port);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            SocketsHttpHandler trusting = servingFiles ? TestCertificates.CreateTrustingHandler(api.Certificates.Ca) : new SocketsHttpHandler();
            if (!servingFiles)
            {
                trusting.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => api.TrustedByApiService(ApiService, certificate);
            }
            await gateway.WaitHealthyAsync(trusting, ct);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        if (servingFiles)
        {
            api.RegisterAggregatedApi(gateway.Url, api.Certificates.Ca);
        }
        else
        {
            api.RegisterAggregatedService(gateway.Url, ApiService);
        }
        return gateway;
    }

    /// <summary>The APIService of the traceloop.dev group, as deploy/base/apiservice.yaml names it.</summary>
    public const string ApiService = "v1alpha1.traceloop.dev";

    /// <summary>The audit lines (event id 1) logged so far.</summary>
    public List<string> AuditLines() =>
        [.. Output.Split('\n').Where(l => l.Contains("[1] access user=", StringComparison.Ordinal))];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitHealthyAsync(SocketsHttpHandler trusting, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        using var client = new HttpClient(trusting) { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"the gateway exited with {_process.ExitCode} while starting:\n{Output}");
            }
            try
            {
                // The path of the Deployment's readiness probe (an HTTPS GET, which needs the serving certificate).
                using HttpResponseMessage response = await client.GetAsync("readyz", timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!timeout.IsCancellationRequested)
            {
            }
            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"the gateway did not answer /readyz within {StartTimeout.TotalSeconds} s:\n{Output}");
            }
        }
    }
}
