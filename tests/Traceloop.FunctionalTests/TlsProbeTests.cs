using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.FunctionalTests.Containers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Records;
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
        using KernelProbes kernel = OpenKernel();
        Assert.DoesNotContain(kernel.AttachedPrograms, p => p.StartsWith(KernelProbes.TlsProgramPrefix, StringComparison.Ordinal));
        Assert.NotEqual(0, kernel.FindProgram("tl_tls_go_return"));
        using var probes = new TlsProbes(kernel);

        await using TlsServer server = await TlsServer.StartAsync(_directory, cgroupProcs: null, cts.Token);
        OpenSslLibrary libssl = Assert.Single(new OpenSslDiscovery().Scan(server.Pid).Libraries, l => l.IsLibSsl);
        TlsAttachResult ssl = probes.AttachOpenSsl(libssl);
        Assert.True(ssl.Succeeded, ssl.FailureReason);
        Assert.Equal(2 * libssl.Functions.Count, ssl.Probes);
        Assert.True(probes.AttachOpenSsl(libssl).WasAttached);

        int expected = ssl.Probes;
        foreach (bool stripped in (bool[])[false, true])
        {
            (string client, TlsAttachResult go, GoTlsProbeSites sites) = await AttachGoClientAsync(probes, stripped, cts.Token);
            Assert.Equal(2 + sites.Write.RetOffsets.Count + sites.Read.RetOffsets.Count, go.Probes);
            expected += go.Probes;
            output.WriteLine($"{client}: {sites.GoVersion}, {go.Probes} probes");

            string token = Token();
            (int exitCode, string stdout, string stderr) = await server.RoundTripAsync(client, token, cgroupProcs: null, cts.Token);

            Assert.True(exitCode == 0, $"the probed Go client (stripped: {stripped}) exited {exitCode}: {stderr}");
            Assert.Equal(Reversed(token), stdout.Trim());
        }
        Assert.Equal(3, probes.AttachedFiles);
        Assert.Equal(expected, probes.AttachedProbes);

        Assert.True(probes.Detach(libssl.File));
        Assert.False(probes.Detach(libssl.File));
        probes.Dispose();
        Assert.Equal(0, probes.AttachedProbes);
        Assert.Equal(0, probes.AttachedFiles);
    }

    /// <summary>
    /// A cgroup given a ring the way the registry gives one, with the server and the client in
    /// it: the ring holds the plaintext of both sides, each with its process and direction, and
    /// the ciphertext never shows the token.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ThePlaintextOfARecordedCgroup_LandsInItsRing_BothLibrariesBothDirections(bool stripped)
    {
        string token = Token();
        (List<TlsRecord> records, int serverPid) = await RecordRoundTripAsync(stripped, token, maxTlsBytes: null);

        // A call that moved no bytes (the server's SSL_read as the client closes returns 0) is recorded without a payload.
        Assert.All(records.Where(r => r.Ret <= 0), r => Assert.Empty(r.Plaintext));
        records = [.. records.Where(r => r.Ret > 0)];
        int clientPid = Assert.Single(records, r => r.Library == TlsLibrary.Go && r.Direction == TlsDirection.Write).Pid;
        AssertRecord(records, TlsLibrary.Go, TlsDirection.Write, clientPid, token + "\n");
        AssertRecord(records, TlsLibrary.Go, TlsDirection.Read, clientPid, Reversed(token) + "\n");
        AssertRecord(records, TlsLibrary.OpenSsl, TlsDirection.Read, serverPid, token + "\n");
        AssertRecord(records, TlsLibrary.OpenSsl, TlsDirection.Write, serverPid, Reversed(token) + "\n");
        Assert.NotEqual(serverPid, clientPid);
    }

    /// <summary>
    /// --max-tls-bytes cuts the plaintext on its own, whatever --max-bytes says: a token longer
    /// than the TLS limit (and shorter than the syscall limit) is kept to the limit and marked
    /// truncated, its result still the whole length.
    /// </summary>
    [Fact]
    public async Task ATokenLongerThanTheTlsLimit_IsCutThere_AndMarkedTruncated()
    {
        const int Limit = 24;
        string token = Token() + Token() + Token(); // 48 characters and a newline: under --max-bytes 64, over 24
        (List<TlsRecord> records, int serverPid) = await RecordRoundTripAsync(stripped: true, token, Limit);

        foreach ((TlsLibrary library, TlsDirection direction, string sent) in (ReadOnlySpan<(TlsLibrary, TlsDirection, string)>)
            [(TlsLibrary.Go, TlsDirection.Write, token), (TlsLibrary.Go, TlsDirection.Read, Reversed(token)),
                (TlsLibrary.OpenSsl, TlsDirection.Read, token), (TlsLibrary.OpenSsl, TlsDirection.Write, Reversed(token))])
        {
            TlsRecord record = Assert.Single(records, r => r.Library == library && r.Direction == direction && r.Ret > 0);
            Assert.Equal(sent.Length + 1, record.Ret);
            Assert.Equal(sent[..Limit], System.Text.Encoding.ASCII.GetString(record.Plaintext));
            Assert.True((record.PayloadFlags & PayloadFlags.Truncated) != 0, $"{library} {direction}: payload flags {record.PayloadFlags}");
            Assert.True((record.RecordFlags & RecordFlags.Truncated) != 0, $"{library} {direction}: record flags {record.RecordFlags}");
        }
        Assert.Equal(serverPid, Assert.Single(records, r => r.Library == TlsLibrary.OpenSsl && r.Direction == TlsDirection.Read && r.Ret > 0).Pid);
    }

    /// <summary>The Go client (stripped or not) and the openssl server, probed, in a cgroup with a ring: the TLS records of one exchange.</summary>
    private async Task<(List<TlsRecord> Records, int ServerPid)> RecordRoundTripAsync(bool stripped, string token, int? maxTlsBytes)
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        using KernelProbes kernel = OpenKernel(maxTlsBytes);
        var recording = new LibbpfKernel(kernel);
        using IContainerRing ring = recording.CreateRing();
        recording.PublishRing(0, ring);
        // Named unlike a container, so no recorder of another test adopts it.
        CgroupFs cgroups = CgroupFs.Locate("unified");
        string cgroupPath = "/traceloop-tls-" + Guid.NewGuid().ToString("N")[..12];
        string cgroup = cgroups.ToDirectory(cgroupPath);
        Directory.CreateDirectory(cgroup);
        try
        {
            Assert.True(recording.TryAddContainer(cgroups.IdOf(cgroupPath), new tl_container { slot = 0 }));
            using var probes = new TlsProbes(kernel);
            string procs = Path.Join(cgroup, "cgroup.procs");
            await using TlsServer server = await TlsServer.StartAsync(_directory, procs, cts.Token);
            OpenSslLibrary libssl = Assert.Single(new OpenSslDiscovery().Scan(server.Pid).Libraries, l => l.IsLibSsl);
            TlsAttachResult ssl = probes.AttachOpenSsl(libssl);
            Assert.True(ssl.Succeeded, ssl.FailureReason);
            (string client, _, _) = await AttachGoClientAsync(probes, stripped, cts.Token);

            (int exitCode, string stdout, string stderr) = await server.RoundTripAsync(client, token, procs, cts.Token);
            Assert.True(exitCode == 0, $"the probed Go client exited {exitCode}: {stderr}");
            Assert.Equal(Reversed(token), stdout.Trim());

            List<TlsRecord> records = ReadTlsRecords(ring);
            foreach (TlsRecord r in records)
            {
                output.WriteLine($"{r.Library} {r.Direction} pid {r.Pid} tid {r.Tid} ret {r.Ret} in {r.Ts - r.Start} ns: {System.Text.Encoding.ASCII.GetString(r.Plaintext)}");
            }
            // Every call's entry time is recorded, before its return.
            Assert.All(records, r => Assert.InRange(r.Start, 1UL, r.Ts));
            return (records, server.Pid);
        }
        finally
        {
            await Eventually.TrueAsync(() => Task.FromResult(TryRemoveCgroup(cgroup)), TimeSpan.FromSeconds(30), "the test cgroup to empty");
        }
    }

    [Fact]
    public void AProgramTheObjectDoesNotHave_IsAFailedAttach_NotACrash()
    {
        var probes = new TlsProbes(_ => null);
        var library = new OpenSslLibrary(new FileIdentity(1, 2, 3), "/lib/libssl.so.3", "/proc/1/root/lib/libssl.so.3", true, [new OpenSslFunction("SSL_write", 0x1000)]);

        TlsAttachResult result = probes.AttachOpenSsl(library);

        Assert.False(result.Succeeded);
        Assert.Contains("tl_tls_ssl_write is not loaded", result.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0, probes.AttachedFiles);
    }

    private static KernelProbes OpenKernel(int? maxTlsBytes = null) => KernelProbes.Open(
        new KernelProbesConfig(RingSize: 1 << 16, MaxSlots: 1, MaxCgroups: 16, MaxString: 256, Captures: new Dictionary<int, tl_syscall_captures>(),
            MaxTlsBytes: maxTlsBytes ?? 64),
        pinDirectory: null, reset: false, archive: null, NullLogger.Instance);

    private static async Task<(string Client, TlsAttachResult Result, GoTlsProbeSites Sites)> AttachGoClientAsync(TlsProbes probes, bool stripped, CancellationToken ct)
    {
        string client = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped).WaitAsync(ct);
        GoTlsProbeSites? sites = GoTlsProbeSites.Locate(client, out string? reason);
        Assert.True(sites is not null, reason);
        FileIdentity file = FileIdentity.Of(client) ?? throw new InvalidOperationException($"cannot stat {client}");
        TlsAttachResult go = probes.AttachGo(file, client, sites);
        Assert.True(go.Succeeded, go.FailureReason);
        return (client, go, sites);
    }

    private static void AssertRecord(List<TlsRecord> records, TlsLibrary library, TlsDirection direction, int pid, string plaintext)
    {
        TlsRecord record = Assert.Single(records, r => r.Library == library && r.Direction == direction);
        Assert.Equal(pid, record.Pid);
        Assert.Equal(plaintext.Length, record.Ret);
        Assert.Equal(plaintext, System.Text.Encoding.ASCII.GetString(record.Plaintext));
        Assert.Equal(-1, record.Fd);
    }

    private sealed record TlsRecord(TlsLibrary Library, TlsDirection Direction, int Pid, int Tid, int Fd, long Ret, byte[] Plaintext,
        ulong Ts = 0, ulong Start = 0, RecordFlags RecordFlags = RecordFlags.None, PayloadFlags PayloadFlags = PayloadFlags.None);

    private static List<TlsRecord> ReadTlsRecords(IContainerRing ring)
    {
        using RingSnapshot snapshot = ring.Snapshot();
        var records = new List<TlsRecord>();
        foreach (RecordRef r in snapshot.Records.Where(r => r.Kind == RecordKind.Tls))
        {
            ReadOnlySpan<byte> bytes = snapshot.RecordBytes(r);
            tl_tls tls = MemoryMarshal.Read<tl_tls>(bytes);
            byte[] plaintext = [];
            PayloadFlags payloadFlags = PayloadFlags.None;
            if (tls.npayloads == 1)
            {
                tl_payload payload = MemoryMarshal.Read<tl_payload>(bytes[Unsafe.SizeOf<tl_tls>()..]);
                Assert.Equal(PayloadKind.Bytes, payload.kind);
                plaintext = bytes.Slice(Unsafe.SizeOf<tl_tls>() + Unsafe.SizeOf<tl_payload>(), payload.len).ToArray();
                payloadFlags = payload.flags;
            }
            records.Add(new TlsRecord(tls.library, tls.direction, (int)tls.h.pid, (int)tls.h.tid, tls.fd, tls.ret, plaintext,
                tls.h.ts, tls.start, tls.h.flags, payloadFlags));
        }
        return records;
    }

    private static bool TryRemoveCgroup(string cgroup)
    {
        try
        {
            Directory.Delete(cgroup);
            return true;
        }
        catch (IOException)
        {
            return !Directory.Exists(cgroup);
        }
    }

    private static string Token() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    private static string Reversed(string s) => new([.. s.Reverse()]);

    /// <summary>
    /// An openssl s_server, optionally started inside a cgroup: it prints what it receives
    /// (SSL_read) and sends what it is given on stdin (SSL_write).
    /// </summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly int _port;

        private TlsServer(Process process, int port)
        {
            _process = process;
            _port = port;
        }

        public int Pid => _process.Id;

        public static async Task<TlsServer> StartAsync(string directory, string? cgroupProcs, CancellationToken ct)
        {
            string key = Path.Join(directory, "key.pem");
            string cert = Path.Join(directory, "cert.pem");
            if (!File.Exists(cert))
            {
                (int exitCode, _, string stderr) = await RunAsync(Launch(null, "openssl",
                    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=traceloop", "-days", "1"]), ct);
                Assert.True(exitCode == 0, $"openssl req failed: {stderr}");
            }
            int port = FreePort();
            ProcessStartInfo startInfo = Launch(cgroupProcs, "openssl", ["s_server", "-accept", $"127.0.0.1:{port}", "-cert", cert, "-key", key]);
            startInfo.RedirectStandardInput = true;
            Process process = Process.Start(startInfo) ?? throw new InvalidOperationException("openssl s_server did not start");
            _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var server = new TlsServer(process, port);
            await server.ExpectLineAsync("ACCEPT", ct);
            return server;
        }

        /// <summary>Runs the Go client against the server: it sends token, the server answers with the token reversed.</summary>
        public async Task<(int ExitCode, string Stdout, string Stderr)> RoundTripAsync(string client, string token, string? cgroupProcs, CancellationToken ct)
        {
            Task<(int, string, string)> run = RunAsync(Launch(cgroupProcs, client, [$"127.0.0.1:{_port}", token + "\n"]), ct);
            await ExpectLineAsync(token, ct);
            await _process.StandardInput.WriteLineAsync(Reversed(token).AsMemory(), ct);
            await _process.StandardInput.FlushAsync(ct);
            return await run;
        }

        public async ValueTask DisposeAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            _process.Dispose();
        }

        private async Task ExpectLineAsync(string expected, CancellationToken ct)
        {
            while (await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct) is string line)
            {
                if (line == expected)
                {
                    return;
                }
            }
            throw new InvalidOperationException($"openssl s_server ended before printing '{expected}'");
        }
    }

    /// <summary>Starts <paramref name="program"/>, first moving it into a cgroup when <paramref name="cgroupProcs"/> names one (its cgroup.procs).</summary>
    private static ProcessStartInfo Launch(string? cgroupProcs, string program, string[] args)
    {
        ProcessStartInfo startInfo = cgroupProcs is null
            ? new ProcessStartInfo(program, args)
            : new ProcessStartInfo("sh", ["-c", "echo $$ > \"$1\" && shift && exec \"$@\"", "sh", cgroupProcs, program, .. args]);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        return startInfo;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(ProcessStartInfo startInfo, CancellationToken ct)
    {
        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{startInfo.FileName} did not start");
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
