using System.Text;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests.Tls;

/// <summary>
/// The recorder probes TLS by itself: an <c>openssl s_server</c> and an <c>openssl s_client</c> in
/// two containers, nothing attached by the test, and the server container's dump shows the
/// client's token as plaintext read by OpenSSL right after the read of its ciphertext. The token
/// is made inside the client container (<c>openssl rand</c>) and crosses the network only
/// encrypted. A recorder killed with SIGKILL and started again over the pinned state probes the
/// still-running server again, so what the server reads later is recorded too.
/// </summary>
public sealed class OpenSslRecordingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const int UretprobeSyscall = 335;

    [Fact]
    public async Task TheServersDump_ShowsTheClientsTokenAsOpenSslPlaintext_AfterTheCiphertextRead_AndAgainAfterAKill9AndRestart()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using TlsScene scene = await TlsScene.CreateAsync(cts.Token);
        RecorderProcess first = await RecorderProcess.StartAsync(ct: cts.Token);
        RecorderProcess? second = null;
        try
        {
            await using RuncContainer server = await scene.StartServerAsync(cts.Token);
            // The server's libssl is probed from its exec notice (or the sweep), before any client comes.
            VersionInfo probed = await Eventually.GetAsync(async () =>
                await first.Client.GetVersionAsync(cts.Token) is { Tls.FilesProbed: > 0 } v ? v : null, Wait, "the server's libssl to be probed");
            Assert.True(probed.Tls!.Uprobes >= 2, $"{probed.Tls.Uprobes} uprobes");
            Assert.Equal(0, probed.Tls.AttachFailures);
            Assert.Equal(0, probed.Tls.ExecNoticesDropped);
            Assert.Null(probed.Tls.Unavailable);
            // The console logger writes from a queue of its own: the line may follow the count by a moment.
            await Eventually.TrueAsync(() => Task.FromResult(first.Output.Contains("TLS probes on /proc/", StringComparison.Ordinal)),
                Wait, "the recorder's log to name the probed file");

            string token;
            await using (RuncContainer client = await StartClientAsync(scene, cts.Token))
            {
                token = await ClientTokenAsync(client, cts.Token);
                List<TraceEventDto> events = await Eventually.GetAsync(async () =>
                {
                    List<TraceEventDto> now = await first.Client.GetDumpJsonAsync(server.Id, ct: cts.Token);
                    return TlsScene.TlsWith(now, "read", token).Count > 0 ? now : null;
                }, Wait, "the token as OpenSSL plaintext in the server's dump");
                AssertReadAfterCiphertext(events, token);

                string text = await first.Client.GetDumpTextAsync(server.Id, ct: cts.Token);
                string[] lines = text.Split('\n');
                int line = Array.FindIndex(lines, l => l.Contains("--- tls read openssl", StringComparison.Ordinal) && l.Contains(token, StringComparison.Ordinal));
                Assert.True(line > 0, "the text dump has the TLS read line");
                output.WriteLine(string.Join('\n', lines[Math.Max(0, line - 3)..(line + 1)]));
                Assert.Contains("read(", lines[line - 1], StringComparison.Ordinal);
                Assert.DoesNotContain("syscall_335(", text, StringComparison.Ordinal);

                // The client side: s_client's SSL_write of the token, in the client container's dump.
                List<TraceEventDto> clientEvents = await first.Client.GetDumpJsonAsync(client.Id, ct: cts.Token);
                TraceEventDto write = Assert.Single(TlsScene.TlsWith(clientEvents, "write", token));
                Assert.Equal("openssl", write.Tls!.Library);
                Assert.Equal(token.Length + 1, write.Tls.Result);
                Assert.Equal("openssl", write.Comm);
            }

            // The recorder dies; the server keeps running, and its libssl's uprobes go with the killed process.
            await first.KillAsync();
            second = await first.RestartAsync(ct: cts.Token);
            await Eventually.TrueAsync(() => Task.FromResult(second.Output.Contains("Took over the recording pinned", StringComparison.Ordinal)),
                Wait, "the restarted recorder's log to say it took the pinned recording over");
            VersionInfo again = await Eventually.GetAsync(async () =>
                await second.Client.GetVersionAsync(cts.Token) is { Tls.FilesProbed: > 0 } v ? v : null, Wait, "the server's libssl to be probed again");
            Assert.Equal(0, again.Tls!.AttachFailures);

            await using (RuncContainer client = await StartClientAsync(scene, cts.Token))
            {
                string later = await ClientTokenAsync(client, cts.Token);
                Assert.NotEqual(token, later);
                List<TraceEventDto> events = await Eventually.GetAsync(async () =>
                {
                    List<TraceEventDto> now = await second.Client.GetDumpJsonAsync(server.Id, ct: cts.Token);
                    return TlsScene.TlsWith(now, "read", later).Count > 0 ? now : null;
                }, Wait, "the later token as OpenSSL plaintext in the server's dump after the restart");
                AssertReadAfterCiphertext(events, later);
                // The history from before the kill is still there: the rings were taken over.
                Assert.Single(TlsScene.TlsWith(events, "read", token));
            }
        }
        finally
        {
            output.WriteLine((second ?? first).Output);
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            else
            {
                await first.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The client makes its token in its own container and sends it a second after it connected,
    /// the way a real client's first request comes some time after its start.
    /// </summary>
    private static Task<RuncContainer> StartClientAsync(TlsScene scene, CancellationToken ct) => scene.RunAsync(
        "openssl rand -hex 16 > /tmp/token && (sleep 1; cat /tmp/token; sleep 3600) | " +
        $"openssl s_client -connect 127.0.0.1:{scene.Port} -quiet", ct);

    private static async Task<string> ClientTokenAsync(RuncContainer client, CancellationToken ct)
    {
        string file = $"/proc/{client.InitPid}/root/tmp/token";
        string token = await Eventually.GetAsync(() =>
            Task.FromResult(File.Exists(file) && File.ReadAllText(file).Trim() is { Length: 32 } t ? t : null), Wait, "the client's token");
        ct.ThrowIfCancellationRequested();
        return token;
    }

    /// <summary>
    /// The token is in exactly one TLS read, by s_server's thread, and the syscalls that thread
    /// made just before are the reads of its ciphertext from the socket: the record's 5-byte header
    /// (type 23, application data, TLS 1.2 framing) and then its body, neither with the token in clear.
    /// </summary>
    private void AssertReadAfterCiphertext(List<TraceEventDto> events, string token)
    {
        TraceEventDto tls = Assert.Single(TlsScene.TlsWith(events, "read", token));
        Assert.Equal("openssl", tls.Tls!.Library);
        Assert.Equal(token.Length + 1, tls.Tls.Result);
        Assert.Equal(token + "\n", Encoding.ASCII.GetString(tls.Tls.Data!));
        Assert.Equal("openssl", tls.Comm);

        // s_server is the process that exec'd /usr/bin/openssl; it is single-threaded.
        // (An execve whose entry the ring no longer holds has no arguments: runc's own, say.)
        TraceEventDto exec = Assert.Single(events, e => e.Name == "execve" && e.Ret == 0 && e.Args is [{ } path, ..]
            && path.Text.Contains("/usr/bin/openssl", StringComparison.Ordinal));
        Assert.Equal((exec.Pid, exec.Pid), (tls.Pid, tls.Tid));

        int at = events.IndexOf(tls);
        // Since Linux 6.11 a uretprobe returns through a syscall of its own (uretprobe, 335 on x86-64),
        // made by the probed thread after the probe ran: the probe's doing, not the program's, so the
        // kernel side leaves it out, and nothing else takes the place of the syscall it would have been.
        Assert.DoesNotContain(events, e => e.Kind == TraceEventKind.Syscall && (e.Nr == UretprobeSyscall || e.Nr < 0 || e.Name is null));
        TraceEventDto[] before = [.. events[..at].Where(e => e.Tid == tls.Tid && e.Kind == TraceEventKind.Syscall).TakeLast(2)];
        output.WriteLine(string.Join('\n', before.Select(e => e.Text)) + "\n" + tls.Text);
        Assert.Equal(["read", "read"], before.Select(e => e.Name));
        (TraceEventDto header, TraceEventDto body) = (before[0], before[1]);
        Assert.Equal(header.Args![0].Raw, body.Args![0].Raw);
        Assert.Equal(5, header.Ret);
        Assert.Equal([0x17, 0x03, 0x03], Assert.IsType<byte[]>(header.Args[1].Payload)[..3]);
        Assert.True(body.Ret > token.Length, $"the ciphertext body read returned {body.Ret}");
        Assert.DoesNotContain(token, Encoding.ASCII.GetString(Assert.IsType<byte[]>(body.Args[1].Payload)), StringComparison.Ordinal);
        Assert.True(tls.TimestampNs >= body.TimestampNs, "the plaintext is recorded after the read that carried it");
    }
}
