using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.FunctionalTests.Containers;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The TLS uprobes on the real kernel: the object's TLS programs pass the verifier and are left
/// for later attachment; a Go client (unstripped and -s -w) probed at entry and at every RET
/// found by the RET finder, and the libssl of an openssl s_server probed at entry and return,
/// keep working: the client exits 0 with the server's reply, which a probe on a wrong byte
/// would have made impossible. Detaching removes every probe.
/// </summary>
public sealed class TlsProbeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _directory = Directory.CreateTempSubdirectory("traceloop-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ProbedGoClientsAndAProbedOpenSslServer_KeepWorking_AndDetachLeavesNoProbe()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        using KernelProbes kernel = KernelProbes.Open(
            new KernelProbesConfig(RingSize: 1 << 16, MaxSlots: 1, MaxCgroups: 16, MaxString: 256, Captures: new Dictionary<int, tl_syscall_captures>()),
            pinDirectory: null, reset: false, archive: null, NullLogger.Instance);
        Assert.DoesNotContain(kernel.AttachedPrograms, p => p.StartsWith(KernelProbes.TlsProgramPrefix, StringComparison.Ordinal));
        Assert.NotEqual(0, kernel.FindProgram("tl_tls_go_return"));
        using var probes = new TlsProbes(kernel);

        int port = FreePort();
        using Process server = await StartServerAsync(port, cts.Token);
        try
        {
            OpenSslScan scan = new OpenSslDiscovery().Scan(server.Id);
            OpenSslLibrary libssl = Assert.Single(scan.Libraries, l => l.IsLibSsl);
            TlsAttachResult ssl = probes.AttachOpenSsl(libssl);
            Assert.True(ssl.Succeeded, ssl.FailureReason);
            Assert.Equal(2 * libssl.Functions.Count, ssl.Probes);
            Assert.True(probes.AttachOpenSsl(libssl).WasAttached);

            int expected = ssl.Probes;
            foreach (bool stripped in (bool[])[false, true])
            {
                string client = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped).WaitAsync(cts.Token);
                GoTlsProbeSites? sites = GoTlsProbeSites.Locate(client, out string? reason);
                Assert.True(sites is not null, reason);
                FileIdentity file = FileIdentity.Of(client) ?? throw new InvalidOperationException($"cannot stat {client}");
                TlsAttachResult go = probes.AttachGo(file, client, sites);
                Assert.True(go.Succeeded, go.FailureReason);
                Assert.Equal(2 + sites.Write.RetOffsets.Count + sites.Read.RetOffsets.Count, go.Probes);
                expected += go.Probes;
                output.WriteLine($"{client}: {sites.GoVersion}, {go.Probes} probes");

                string token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
                (int exitCode, string stdout, string stderr) = await RunAsync(client, [$"127.0.0.1:{port}", token + "\n"], cts.Token);

                Assert.True(exitCode == 0, $"the probed Go client (stripped: {stripped}) exited {exitCode}: {stderr}");
                Assert.Equal(new string([.. token.Reverse()]), stdout.Trim());
            }
            Assert.Equal(3, probes.AttachedFiles);
            Assert.Equal(expected, probes.AttachedProbes);

            Assert.True(probes.Detach(libssl.File));
            Assert.False(probes.Detach(libssl.File));
            probes.Dispose();
            Assert.Equal(0, probes.AttachedProbes);
            Assert.Equal(0, probes.AttachedFiles);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void AProgramTheObjectDoesNotHave_IsAFailedAttach_NotACrash()
    {
        var probes = new TlsProbes(_ => 0);
        var library = new OpenSslLibrary(new FileIdentity(1, 2, 3), "/lib/libssl.so.3", "/proc/1/root/lib/libssl.so.3", true, [new OpenSslFunction("SSL_write", 0x1000)]);

        TlsAttachResult result = probes.AttachOpenSsl(library);

        Assert.False(result.Succeeded);
        Assert.Contains("tl_tls_ssl_write is not loaded", result.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0, probes.AttachedFiles);
    }

    private async Task<Process> StartServerAsync(int port, CancellationToken ct)
    {
        string key = Path.Join(_directory, "key.pem");
        string cert = Path.Join(_directory, "cert.pem");
        (int exitCode, _, string stderr) = await RunAsync("openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=traceloop", "-days", "1"], ct);
        Assert.True(exitCode == 0, $"openssl req failed: {stderr}");

        // -rev: each line received is sent back reversed, so the reply proves the round trip.
        var startInfo = new ProcessStartInfo("openssl", ["s_server", "-accept", $"127.0.0.1:{port}", "-cert", cert, "-key", key, "-rev"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process server = Process.Start(startInfo) ?? throw new InvalidOperationException("openssl s_server did not start");
        _ = server.StandardError.ReadToEndAsync(CancellationToken.None);
        while (await server.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct) is string line)
        {
            if (line == "ACCEPT")
            {
                _ = server.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return server;
            }
        }
        throw new InvalidOperationException($"openssl s_server ended before accepting (exit code {server.ExitCode})");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, string[] args, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{program} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
