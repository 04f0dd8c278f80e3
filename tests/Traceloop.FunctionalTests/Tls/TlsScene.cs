using System.Diagnostics;
using System.Text;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests.Tls;

/// <summary>
/// What the TLS recording tests share: a busybox rootfs into which the host's /usr (openssl,
/// libssl, libc) and /etc/ssl are bind-mounted read-only, a self-signed certificate, and an
/// <c>openssl s_server</c> container on the host network. Every container is one the recorder
/// under test records; none is probed by the test itself.
/// </summary>
internal sealed class TlsScene : IAsyncDisposable
{
    private readonly string _certs;

    private TlsScene(BusyboxRootfs rootfs, string certs, int port)
    {
        Rootfs = rootfs;
        _certs = certs;
        Port = port;
    }

    public BusyboxRootfs Rootfs { get; }

    public int Port { get; }

    public static async Task<TlsScene> CreateAsync(CancellationToken ct)
    {
        RootRequirement.Ensure();
        var rootfs = new BusyboxRootfs();
        string certs = Directory.CreateTempSubdirectory("traceloop-tls-certs-").FullName;
        try
        {
            // The host's layout (merged /usr): the loader and libraries are reached through these links.
            File.CreateSymbolicLink(rootfs.HostPath("/lib"), "usr/lib");
            File.CreateSymbolicLink(rootfs.HostPath("/lib64"), "usr/lib64");
            Directory.CreateDirectory(rootfs.HostPath("/etc/ssl"));
            Directory.CreateDirectory(rootfs.HostPath("/certs"));
            (int exitCode, string output) = await RunAsync("openssl",
                ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Join(certs, "key.pem"), "-out", Path.Join(certs, "cert.pem"),
                 "-subj", "/CN=traceloop", "-days", "1"], ct);
            Assert.True(exitCode == 0, $"openssl req failed: {output}");
            return new TlsScene(rootfs, certs, 20000 + Random.Shared.Next(20000));
        }
        catch
        {
            rootfs.Dispose();
            Directory.Delete(certs, recursive: true);
            throw;
        }
    }

    /// <summary>A container of the host's binaries on the host network running <paramref name="script"/> with sh.</summary>
    public Task<RuncContainer> RunAsync(string script, CancellationToken ct) => RuncContainer.RunAsync(new ContainerSpec
    {
        Args = ["sh", "-c", script],
        Network = true,
        Rootfs = Rootfs,
        ReadOnlyBinds = [("/usr", "/usr"), ("/etc/ssl", "/etc/ssl"), (_certs, "/certs")],
    }, ct);

    /// <summary>
    /// The server: it prints what it reads (SSL_read) and serves one connection after another. Its
    /// stdin is a pipe that never delivers, so it neither ends nor spins on end-of-file.
    /// </summary>
    public async Task<RuncContainer> StartServerAsync(CancellationToken ct)
    {
        RuncContainer server = await RunAsync(
            $"sleep 3600 | openssl s_server -accept 127.0.0.1:{Port} -cert /certs/cert.pem -key /certs/key.pem", ct);
        await Eventually.TrueAsync(() => Task.FromResult(server.Stdout.Contains("ACCEPT", StringComparison.Ordinal)), TimeSpan.FromSeconds(30),
            "openssl s_server to accept");
        return server;
    }

    /// <summary>The TLS lines of a dump whose plaintext holds <paramref name="token"/>.</summary>
    public static List<TraceEventDto> TlsWith(List<TraceEventDto> events, string direction, string token) =>
        [.. events.Where(e => e.Kind == TraceEventKind.Tls && e.Tls!.Direction == direction && e.Tls.Data is { } data
            && Encoding.ASCII.GetString(data).Contains(token, StringComparison.Ordinal))];

    public static string Token() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public async ValueTask DisposeAsync()
    {
        await Task.CompletedTask;
        Rootfs.Dispose();
        Directory.Delete(_certs, recursive: true);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] args, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{program} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        return (process.ExitCode, await stdout + await stderr);
    }
}
