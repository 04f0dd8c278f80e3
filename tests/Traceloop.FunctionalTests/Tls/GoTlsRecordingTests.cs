using System.Text;
using System.Text.RegularExpressions;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Tls;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests.Tls;

/// <summary>
/// Go clients in containers, probed (or not) by the recorder alone. A stripped crypto/tls client
/// is located through its function table and probed at entry and every RET: its write is in its
/// container's dump and it finishes normally. The same client with its function table's section
/// renamed (the runtime does not need the name, so it runs exactly as before) cannot be located:
/// the recorder logs it as skipped with the reason and probes nothing of it, so its container's
/// dump holds no TLS line while the server still reads its token.
/// </summary>
public sealed class GoTlsRecordingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    // Connects, waits a second (the probes attach after exec, as for any real client), sends its
    // second argument and prints the reply; exits 0 when the server closes.
    private const string DelayedClient = """
        package main

        import (
        	"crypto/tls"
        	"fmt"
        	"os"
        	"time"
        )

        func main() {
        	conn, err := tls.Dial("tcp", os.Args[1], &tls.Config{InsecureSkipVerify: true})
        	if err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(2)
        	}
        	defer conn.Close()
        	time.Sleep(time.Second)
        	if _, err := conn.Write([]byte(os.Args[2] + "\n")); err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(3)
        	}
        	fmt.Println("sent")
        	reply := make([]byte, 256)
        	n, _ := conn.Read(reply)
        	fmt.Printf("reply %q\n", reply[:n])
        }
        """;

    [Fact]
    public async Task AStrippedGoClient_IsProbedByTheRecorder_AndOneWhoseFunctionTableCannotBeFound_IsSkippedWithItsReason()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        string built = await BuiltPrograms.GoAsync(DelayedClient, stripped: true).WaitAsync(cts.Token);
        await using TlsScene scene = await TlsScene.CreateAsync(cts.Token);
        // Not under /usr: the host's /usr is mounted over the rootfs's.
        string probedPath = $"/opt/go-tls-{Guid.NewGuid():N}";
        string oddPath = $"/opt/go-tls-odd-{Guid.NewGuid():N}";
        scene.Rootfs.CopyIn(built, probedPath);
        string odd = Path.Join(Path.GetTempPath(), Path.GetFileName(oddPath));
        try
        {
            File.Copy(built, odd);
            ElfSections.Rename(odd, ".gopclntab", ".xxpclntab");
            scene.Rootfs.CopyIn(odd, oddPath);
        }
        finally
        {
            File.Delete(odd);
        }

        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        try
        {
            await using RuncContainer server = await scene.StartServerAsync(cts.Token);

            string token = TlsScene.Token();
            await using (RuncContainer client = await scene.RunAsync($"exec {probedPath} 127.0.0.1:{scene.Port} {token}", cts.Token))
            {
                List<TraceEventDto> events = await Eventually.GetAsync(async () =>
                {
                    List<TraceEventDto> now = await recorder.Client.GetDumpJsonAsync(client.Id, ct: cts.Token);
                    return TlsScene.TlsWith(now, "write", token).Count > 0 ? now : null;
                }, Wait, "the Go client's write in its dump");
                TraceEventDto write = Assert.Single(TlsScene.TlsWith(events, "write", token));
                Assert.Equal("go", write.Tls!.Library);
                Assert.Equal(token.Length + 1, write.Tls.Result);
                Assert.Equal(client.InitPid, write.Pid);
                Assert.Contains(probedPath, recorder.Output, StringComparison.Ordinal);
                await Eventually.TrueAsync(() => Task.FromResult(client.Stdout.Contains("sent", StringComparison.Ordinal)), Wait, "the client to say it sent");

                // The probed client keeps working: closing the connection on its side ends it normally.
                await server.KillAsync();
                Assert.Equal(0, await client.WaitForExitAsync(cts.Token));
            }
            // Its binary is this test's own: once its container is gone no process maps it, and a sweep detaches it.
            Match attached = Regex.Match(recorder.Output, $@"TLS probes on /proc/\d+/root{Regex.Escape(probedPath)} \((?<file>[^)]+)\): (?<n>\d+) uprobes for Go");
            Assert.True(attached.Success, "the Go client's attach is logged");
            Assert.True(int.Parse(attached.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) > 2, attached.Value);
            await Eventually.TrueAsync(() => Task.FromResult(recorder.Output.Contains($"Removed the TLS probes of {attached.Groups["file"].Value}:", StringComparison.Ordinal)),
                Wait, "the Go client's probes to be removed");

            await using RuncContainer server2 = await scene.StartServerAsync(cts.Token);
            string oddToken = TlsScene.Token();
            await using (RuncContainer client = await scene.RunAsync($"exec {oddPath} 127.0.0.1:{scene.Port} {oddToken}", cts.Token))
            {
                // The server is probed, so the token arriving there proves the client sent it; the client was not probed.
                await Eventually.TrueAsync(async () => TlsScene.TlsWith(await recorder.Client.GetDumpJsonAsync(server2.Id, ct: cts.Token), "read", oddToken).Count > 0,
                    Wait, "the odd client's token read by the server");
                await Eventually.TrueAsync(() => Task.FromResult(client.Stdout.Contains("sent", StringComparison.Ordinal)), Wait, "the odd client to say it sent");
                List<TraceEventDto> events = await recorder.Client.GetDumpJsonAsync(client.Id, ct: cts.Token);
                Assert.Contains(events, e => e.Name == "write" && e.Args is [_, { Payload: { } p }, ..] && p.Length > 5 && p[0] == 0x17);
                Assert.DoesNotContain(events, e => e.Kind == TraceEventKind.Tls);
            }

            string log = recorder.Output;
            Assert.Contains($"Skipped the TLS probes of {oddPath} (pid ", log, StringComparison.Ordinal);
            Assert.Contains("no .gopclntab section", log, StringComparison.Ordinal);
            Assert.DoesNotContain($"TLS probes on /proc/", string.Join('\n', log.Split('\n').Where(l => l.Contains(oddPath, StringComparison.Ordinal))), StringComparison.Ordinal);
            VersionInfo version = await recorder.Client.GetVersionAsync(cts.Token);
            Assert.True(version.Tls!.BinariesSkipped >= 1, $"{version.Tls.BinariesSkipped} skipped");
        }
        finally
        {
            output.WriteLine(recorder.Output);
        }
    }

    // Waits for its gate file (created once the recorder has probed it, so the test waits on a
    // condition, not a guess), then sends its second argument and prints the server's reply.
    private const string GatedClient = """
        package main

        import (
        	"crypto/tls"
        	"fmt"
        	"os"
        	"time"
        )

        func main() {
        	for i := 0; ; i++ {
        		if _, err := os.Stat(os.Args[3]); err == nil {
        			break
        		}
        		if i == 1200 {
        			fmt.Fprintln(os.Stderr, "no gate")
        			os.Exit(5)
        		}
        		time.Sleep(50 * time.Millisecond)
        	}
        	conn, err := tls.Dial("tcp", os.Args[1], &tls.Config{InsecureSkipVerify: true})
        	if err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(2)
        	}
        	defer conn.Close()
        	if _, err := conn.Write([]byte(os.Args[2] + "\n")); err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(3)
        	}
        	reply := make([]byte, 256)
        	n, err := conn.Read(reply)
        	if err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(4)
        	}
        	fmt.Printf("reply %s", reply[:n])
        }
        """;

    /// <summary>
    /// A Go client built by go build, with and without its symbol table, talking to an
    /// <c>openssl s_server -rev</c> (which answers each line reversed) in another container:
    /// probed by the recorder alone, it finishes normally with the reply, and its own container's
    /// dump shows its plaintext both ways, each TLS line on the socket its ciphertext went through.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AGoClientsDump_ShowsItsPlaintextBothWays_OnItsSocket_AndTheClientFinishesNormally(bool stripped)
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        string built = await BuiltPrograms.GoAsync(GatedClient, stripped).WaitAsync(cts.Token);
        await using TlsScene scene = await TlsScene.CreateAsync(cts.Token);
        string clientPath = $"/opt/go-tls-echo-{Guid.NewGuid():N}";
        // In the shared rootfs (read-only to the container, so seen as the host writes it), not in its private /tmp.
        string gate = $"/opt/gate-{Guid.NewGuid():N}";
        scene.Rootfs.CopyIn(built, clientPath);

        await using RecorderProcess recorder = await RecorderProcess.StartAsync(ct: cts.Token);
        try
        {
            await using RuncContainer server = await scene.RunAsync(
                $"sleep 3600 | openssl s_server -rev -accept 127.0.0.1:{scene.Port} -cert /certs/cert.pem -key /certs/key.pem", cts.Token);
            await Eventually.TrueAsync(() => Task.FromResult(server.Stdout.Contains("ACCEPT", StringComparison.Ordinal)), Wait, "openssl s_server -rev to accept");

            string token = TlsScene.Token();
            string reversed = new([.. token.Reverse()]);
            await using RuncContainer client = await scene.RunAsync($"exec {clientPath} 127.0.0.1:{scene.Port} {token} {gate}", cts.Token);
            await Eventually.TrueAsync(() => Task.FromResult(recorder.Output.Split('\n').Any(l =>
                    l.Contains("TLS probes on /proc/", StringComparison.Ordinal) && l.Contains(clientPath, StringComparison.Ordinal))),
                Wait, "the recorder to probe the Go client");
            await File.WriteAllTextAsync(scene.Rootfs.HostPath(gate), "", cts.Token);

            Assert.Equal(0, await client.WaitForExitAsync(cts.Token));
            Assert.Equal($"reply {reversed}\n", client.Stdout);

            List<TraceEventDto> events = await recorder.Client.GetDumpJsonAsync(client.Id, ct: cts.Token);
            TraceEventDto write = Assert.Single(TlsScene.TlsWith(events, "write", token));
            TraceEventDto read = Assert.Single(TlsScene.TlsWith(events, "read", reversed));
            foreach (TraceEventDto e in (TraceEventDto[])[write, read])
            {
                Assert.Equal("go", e.Tls!.Library);
                Assert.Equal(client.InitPid, e.Pid);
                Assert.Equal(token.Length + 1, e.Tls.Result);
            }
            // The socket is the one the client wrote its ciphertext to and read the reply from.
            Assert.NotNull(write.Tls!.Fd);
            Assert.Contains(events, e => e.Name == "write" && e.Tid == write.Tid && e.Args is [{ Raw: var fd }, ..] && (int)fd == write.Tls.Fd
                && e.TimestampNs <= write.TimestampNs && e.Args[1].Payload is [0x17, ..]);
            Assert.Equal(write.Tls.Fd, read.Tls!.Fd);

            string text = await recorder.Client.GetDumpTextAsync(client.Id, ct: cts.Token);
            Assert.Contains($"--- tls write go fd={write.Tls.Fd} \"{token}\\n\" = {token.Length + 1} ---", text, StringComparison.Ordinal);
            Assert.Contains($"--- tls read go fd={read.Tls.Fd} \"{reversed}\\n\" = {token.Length + 1} ---", text, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(recorder.Output);
        }
    }
}
