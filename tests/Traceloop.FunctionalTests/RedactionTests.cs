using System.Diagnostics;
using System.Text;
using Traceloop.Api;
using Traceloop.Cli.Common.Export;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// --redact with a real recorder and a real container: secrets written to a file and a socket and
/// passed on the command line reach no output format and no saved dump.
/// </summary>
public sealed class RedactionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private const string Marker = "<redacted>";

    // Writes the secret to a file and reads it back, sends it over a Unix socketpair with
    // send/recv (sendto/recvfrom), sendmsg/recvmsg and writev, then faults: a SIGSEGV no process
    // can ignore, even as its PID namespace's init (a kill() from itself would be).
    private static string LeakerSource(string secret) => $$"""
        #include <fcntl.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/uio.h>
        #include <unistd.h>
        int main(void)
        {
            static const char secret[] = "{{secret}}";
            size_t n = strlen(secret);
            char buf[128];
            int fd = open("/tmp/redaction-secret", O_WRONLY | O_CREAT | O_TRUNC, 0600);
            write(fd, secret, n);
            close(fd);
            fd = open("/tmp/redaction-secret", O_RDONLY);
            read(fd, buf, sizeof buf);
            close(fd);
            int sv[2];
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
            send(sv[0], secret, n, 0);
            recv(sv[1], buf, sizeof buf, 0);
            struct iovec iov = { (void *)secret, n };
            struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
            sendmsg(sv[0], &msg, 0);
            struct iovec in = { buf, sizeof buf };
            struct msghdr rmsg = { .msg_iov = &in, .msg_iovlen = 1 };
            recvmsg(sv[1], &rmsg, 0);
            writev(sv[0], &iov, 1);
            *(volatile int *)0 = 1;
            return 0;
        }
        """;

    [Fact]
    public async Task SecretsInBuffersAndArgv_AppearInNoFormatAndNoSavedDump_AndTheMarkerDoes()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string secret = $"pw-{Guid.NewGuid():N}";
        string token = $"tok-{Guid.NewGuid():N}";
        string leaker = await StaticBinary.CompileAsync(LeakerSource(secret), cts.Token);
        string program = $"/usr/local/bin/leaker-{Guid.NewGuid():N}";
        BusyboxRootfs.Shared.CopyIn(leaker, program);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--redact", "pw-[0-9a-f]{32}", "--redact", "tok-[0-9a-f]{32}"], cts.Token);

        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = [program, $"--token={token}"] }, cts.Token);
        Assert.Equal(128 + 11, await container.WaitForExitAsync(cts.Token));
        SavedDumpInfo saved = await CrashCollectionTests.SavedDumpOf(recorder, container.Id, cts.Token);

        // The live dump: the calls were recorded, with the marker where the secrets were.
        string text = await recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
        output.WriteLine(string.Join('\n', text.Split('\n').Where(l => l.Contains(Marker, StringComparison.Ordinal))));
        AssertLine(text, "execve(", $"\"--token={Marker}\"");
        AssertLine(text, "write(", $"\"{Marker}\", {secret.Length})");
        AssertLine(text, "read(", $"\"{Marker}\", 128) = {secret.Length}");
        AssertLine(text, "sendto(", $"\"{Marker}\", {secret.Length}");
        AssertLine(text, "recvfrom(", $"\"{Marker}\", 128");
        AssertLine(text, "sendmsg(", $"iov_base=\"{Marker}\"");
        AssertLine(text, "recvmsg(", $"iov_base=\"{Marker}\"");
        AssertLine(text, "writev(", $"iov_base=\"{Marker}\"");
        AssertRedacted("live text dump", Encoding.UTF8.GetBytes(text), secret, token);

        AssertRedacted("live JSON dump", await Bytes(recorder.Client.OpenDumpAsync(container.Id, "json", ct: cts.Token), cts.Token), secret, token);
        AssertRedacted("live MessagePack dump", await Bytes(recorder.Client.OpenDumpAsync(container.Id, "msgpack", ct: cts.Token), cts.Token), secret, token);

        // The saved crash dump: the LZ4 file on disk, decompressed by lz4(1), and what the API serves of it.
        string file = Path.Join(recorder.DataDir, "dumps", saved.Id + ".msgpack.lz4");
        string restored = Path.Join(Path.GetTempPath(), $"traceloop-redaction-{saved.Id}.msgpack");
        try
        {
            (int code, string lz4) = await Run("lz4", ["-d", "-f", "-q", file, restored], cts.Token);
            Assert.True(code == 0, lz4);
            AssertRedacted("saved dump file", await File.ReadAllBytesAsync(restored, cts.Token), secret, token);
        }
        finally
        {
            File.Delete(restored);
        }
        foreach (string format in (string[])["text", "json", "msgpack"])
        {
            AssertRedacted($"saved dump as {format}", await recorder.Client.GetSavedDumpBytesAsync(saved.Id, format, cts.Token), secret, token);
        }

        // Perfetto is made client-side from the MessagePack the recorder serves.
        (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetSavedDumpAsync(saved.Id, cts.Token);
        using var perfetto = new MemoryStream();
        PerfettoTraceWriter.Write(perfetto, header, events);
        AssertRedacted("Perfetto export", perfetto.ToArray(), secret, token);
    }

    [Fact]
    public async Task BadPatterns_FromTheConfigFileAndTheCommandLine_AreRefusedAtStartInOneSentenceEach()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        string config = Path.Join(Directory.CreateTempSubdirectory("traceloop-redact-config-").FullName, "config.json");
        await File.WriteAllTextAsync(config, """{ "Redact": ["file-(", "fine"] }""", cts.Token);
        try
        {
            (int code, string text) = await RecorderProcess.RunToExitAsync(
                ["--socket", "/tmp/x.sock", "--config", config, "--redact", "ok", "--redact", "pw-(["], withoutCapabilities: false, cts.Token);

            Assert.Equal(2, code);
            // The command line's patterns add to the file's list: both are checked.
            Assert.Contains("traceloop-recorder: Redact pattern 'file-(' is not a valid regular expression", text, StringComparison.Ordinal);
            Assert.Contains("traceloop-recorder: Redact pattern 'pw-([' is not a valid regular expression", text, StringComparison.Ordinal);
            Assert.Equal(2, text.Split('\n').Count(l => l.StartsWith("traceloop-recorder: Redact pattern", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(config)!, recursive: true);
        }
    }

    private static void AssertLine(string text, string call, string part) =>
        Assert.True(
            text.Split('\n').Any(l => l.Contains(call, StringComparison.Ordinal) && l.Contains(part, StringComparison.Ordinal)),
            $"no {call}...{part} line in the dump:\n{text[^Math.Min(text.Length, 4000)..]}");

    private static void AssertRedacted(string what, byte[] bytes, string secret, string token)
    {
        // Latin-1: every byte one char, so binary MessagePack is searched byte for byte. JSON
        // escapes neither the secrets nor the marker (relaxed escaping).
        string content = Encoding.Latin1.GetString(bytes);
        Assert.False(content.Contains(secret, StringComparison.Ordinal), $"the {what} holds the written secret");
        Assert.False(content.Contains(token, StringComparison.Ordinal), $"the {what} holds the command-line secret");
        Assert.False(content.Contains(secret[..12], StringComparison.Ordinal), $"the {what} holds part of the written secret");
        Assert.True(content.Contains(Marker, StringComparison.Ordinal), $"the {what} has no {Marker}");
    }

    private static async Task<byte[]> Bytes(Task<HttpResponseMessage> response, CancellationToken ct)
    {
        using HttpResponseMessage r = await response;
        r.EnsureSuccessStatusCode();
        return await r.Content.ReadAsByteArrayAsync(ct);
    }

    private static async Task<(int Code, string Output)> Run(string file, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(ct), stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout + await stderr);
    }
}
