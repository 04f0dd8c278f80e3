using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Decoding;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Dumps;

/// <summary>
/// A dump's records rewritten with the patterns applied: what the text line, the JSON/MessagePack
/// event (its Text and each argument's Text and Payload) are then made of.
/// </summary>
public sealed class RedactedRecordsTests
{
    private const ulong BootNs = 5_000_000_000;
    private const ulong Buf = 0x7ffd_0000_1000;

    private static int Nr(string name) => SyscallTable.TryGetNumber(name, out int nr) ? nr : throw new ArgumentException(name);

    private static readonly Redactor Secrets = new(["hunter2", "s3cr3t"], NullLogger<Redactor>.Instance);

    [Fact]
    public void AWrittenBufferIsRedactedInTextAndPayload()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("write"), BootNs, [3, Buf, 17], payloads: [PayloadSpec.Bytes(1, "password=hunter2\n"u8.ToArray())]);
        ring.Exit(1, 1, Nr("write"), 17, BootNs + 1_000);

        (string[] lines, TraceEventDto[] dtos) = Render(ring, Secrets);

        Assert.Equal(["write(3, \"password=<redacted>\\n\", 17) = 17"], lines);
        SyscallArg buffer = dtos[0].Args![1];
        Assert.Equal("\"password=<redacted>\\n\"", buffer.Text);
        Assert.Equal("password=<redacted>\n"u8.ToArray(), buffer.Payload);
        AssertNoSecret(dtos);
    }

    [Fact]
    public void AReadBufferThatIsNotUtf8IsRedactedByteForByte()
    {
        byte[] data = [0xff, 0x00, .. "s3cr3t"u8.ToArray(), 0xc3, 0x28];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("read"), BootNs, [3, Buf, 64]);
        ring.Exit(1, 1, Nr("read"), data.Length, BootNs + 1_000, payloads: [PayloadSpec.Bytes(1, data)]);

        (string[] lines, TraceEventDto[] dtos) = Render(ring, Secrets);

        Assert.Equal(["read(3, \"\\377\\0<redacted>\\303(\", 64) = 10"], lines);
        Assert.Equal([0xff, 0x00, .. "<redacted>"u8.ToArray(), 0xc3, 0x28], dtos[0].Args![1].Payload);
    }

    [Fact]
    public void EachArgvElementIsRedactedAloneAndItsNulsStay()
    {
        byte[] argv = "sh\0-c\0echo hunter2 > /tmp/x\0--token=s3cr3t\0"u8.ToArray();
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("execve"), BootNs, [Buf, Buf + 0x100, Buf + 0x200],
            payloads: [PayloadSpec.String(0, "/bin/sh"), new PayloadSpec(PayloadKind.StringArray, 1, argv), new PayloadSpec(PayloadKind.Count, 2, BitConverter.GetBytes(3u))]);
        ring.Exit(1, 1, Nr("execve"), 0, BootNs + 1_000);

        (string[] lines, TraceEventDto[] dtos) = Render(ring, Secrets);

        Assert.Equal(["execve(\"/bin/sh\", [\"sh\", \"-c\", \"echo <redacted> > /tmp/x\", \"--token=<redacted>\"], 0x7ffd00001200 /* 3 vars */) = 0"], lines);
        Assert.Equal("sh\0-c\0echo <redacted> > /tmp/x\0--token=<redacted>\0"u8.ToArray(), dtos[0].Args![1].Payload);
        AssertNoSecret(dtos);
    }

    [Fact]
    public void APatternAnchoredToAnArgvElementMatchesThatElementOnly()
    {
        var redactor = new Redactor(["^--password=.*$"], NullLogger<Redactor>.Instance);
        byte[] argv = "app\0--password=x\0--user=--password=y\0"u8.ToArray();
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("execve"), BootNs, [Buf, Buf + 0x100, 0],
            payloads: [PayloadSpec.String(0, "/app"), new PayloadSpec(PayloadKind.StringArray, 1, argv)]);
        ring.Exit(1, 1, Nr("execve"), 0, BootNs + 1_000);

        (string[] lines, _) = Render(ring, redactor);

        Assert.StartsWith("execve(\"/app\", [\"app\", \"<redacted>\", \"--user=--password=y\"]", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void PathsAndOtherStringsAreRedacted()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("openat"), BootNs, [unchecked((ulong)-100), Buf, 0, 0], payloads: [PayloadSpec.String(1, "/run/hunter2/key")]);
        ring.Exit(1, 1, Nr("openat"), -2, BootNs + 1_000);

        (string[] lines, _) = Render(ring, Secrets);

        Assert.Equal(["openat(AT_FDCWD, \"/run/<redacted>/key\", O_RDONLY) = -1 ENOENT (No such file or directory)"], lines);
    }

    [Fact]
    public void EachIovecBufferIsRedactedAndTheArrayKept()
    {
        byte[] iov = CapturedMemoryTests.IoVecPayload([(Buf, 8, "hunter2\n"), (Buf + 0x10, 3, "ok\n")]);
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("writev"), BootNs, [1, Buf + 0x100, 2], payloads: [PayloadSpec.Bytes(1, iov)]);
        ring.Exit(1, 1, Nr("writev"), 11, BootNs + 1_000);

        (string[] lines, TraceEventDto[] dtos) = Render(ring, Secrets);

        Assert.Equal(["writev(1, [{iov_base=\"<redacted>\\n\", iov_len=8}, {iov_base=\"ok\\n\", iov_len=3}], 2) = 11"], lines);
        Assert.Equal(CapturedMemoryTests.IoVecPayload([(Buf, 8, "<redacted>\n"), (Buf + 0x10, 3, "ok\n")]), dtos[0].Args![1].Payload);
    }

    [Fact]
    public void MsghdrIovecDataIsRedactedAndMatchingControlDataDropped()
    {
        byte[] control = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(control, 22);        // cmsg_len
        BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(8), 1); // SOL_SOCKET
        BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(12), 3); // SCM_SECURITY
        "s3cr3t"u8.CopyTo(control.AsSpan(16));
        byte[] hdr = new byte[56];
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(16), Buf + 0x200); // msg_iov
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(24), 1);          // msg_iovlen
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(32), Buf + 0x300); // msg_control
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(40), 24);         // msg_controllen
        byte[] sendmsg = [.. hdr, .. new byte[4], .. CapturedMemoryTests.IoVecPayload([(Buf, 10, "pw=hunter2")]), .. BitConverter.GetBytes(24u), .. control];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("sendmsg"), BootNs, [3, Buf + 0x100, 0], payloads: [PayloadSpec.Bytes(1, sendmsg)]);
        ring.Exit(1, 1, Nr("sendmsg"), 10, BootNs + 1_000);

        (string[] lines, TraceEventDto[] dtos) = Render(ring, Secrets);

        Assert.Equal(
            ["sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"pw=<redacted>\", iov_len=10}], msg_iovlen=1, msg_control=0x7ffd00001300, msg_controllen=24, msg_flags=0}, 0) = 10"],
            lines);
        Assert.Equal([.. hdr, .. new byte[4], .. CapturedMemoryTests.IoVecPayload([(Buf, 10, "pw=<redacted>")]), .. new byte[4]], dtos[0].Args![1].Payload!);
        AssertNoSecret(dtos);
    }

    [Fact]
    public void MsghdrControlDataWithoutAMatchIsKept()
    {
        byte[] control = new byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(control, 20);
        BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(12), 1); // SCM_RIGHTS
        BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(16), 5);
        byte[] hdr = new byte[56];
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(16), Buf + 0x200);
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(24), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(32), Buf + 0x300);
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(40), 24);
        byte[] recvmsg = [.. hdr, .. new byte[4], .. CapturedMemoryTests.IoVecPayload([(Buf, 16, "x=hunter2")]), .. BitConverter.GetBytes(24u), .. control];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("recvmsg"), BootNs, [3, Buf + 0x100, 0], payloads: [PayloadSpec.Bytes(1, BitConverter.GetBytes(0))]);
        ring.Exit(1, 1, Nr("recvmsg"), 9, BootNs + 1_000, payloads: [PayloadSpec.Bytes(1, recvmsg)]);

        (string[] lines, _) = Render(ring, Secrets);

        Assert.Equal(
            ["recvmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"x=<redacted>\", iov_len=16}], msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}], msg_controllen=24, msg_flags=0}, 0) = 9"],
            lines);
    }

    [Fact]
    public void ACommandNameWithAMatchIsReplacedWholeOnEveryRecord()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("getpid"), BootNs, comm: "hunter2-worker");
        ring.Exit(1, 1, Nr("getpid"), 1, BootNs + 1_000);
        ring.Enter(2, 2, Nr("getpid"), BootNs + 2_000, comm: "innocent");
        ring.Exit(2, 2, Nr("getpid"), 2, BootNs + 3_000);
        ring.ProcessExit(1, 1, 0, isLeader: true, BootNs + 4_000, comm: "hunter2-worker");

        (_, TraceEventDto[] dtos) = Render(ring, Secrets);

        Assert.Equal(["<redacted>", "innocent", "<redacted>"], dtos.Select(d => d.Comm));
    }

    [Fact]
    public void StructsAndPayloadsAfterARedactedOneStayReadable()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("clock_nanosleep"), BootNs, [0, 0, Buf, 0],
            payloads: [PayloadSpec.Bytes(2, [.. BitConverter.GetBytes(0L), .. BitConverter.GetBytes(1000L)])]);
        ring.Exit(1, 1, Nr("clock_nanosleep"), 0, BootNs + 1_000);
        ring.Enter(1, 1, Nr("renameat2"), BootNs + 2_000, [unchecked((ulong)-100), Buf, unchecked((ulong)-100), Buf + 0x100, 0],
            payloads: [PayloadSpec.String(1, "hunter2.tmp"), PayloadSpec.String(3, "final")]);
        ring.Exit(1, 1, Nr("renameat2"), 0, BootNs + 3_000);

        (string[] lines, _) = Render(ring, Secrets);

        Assert.Equal(
            [
                "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0",
                "renameat2(AT_FDCWD, \"<redacted>.tmp\", AT_FDCWD, \"final\", 0) = 0",
            ],
            lines);
    }

    [Fact]
    public void WithoutAMatchTheTextIsWhatItWasWithoutRedaction()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("write"), BootNs, [1, Buf, 5], payloads: [PayloadSpec.Bytes(1, "hello"u8.ToArray())]);
        ring.Exit(1, 1, Nr("write"), 5, BootNs + 1_000);
        ring.Enter(1, 1, Nr("openat"), BootNs + 2_000, [unchecked((ulong)-100), Buf, 0, 0], payloads: [PayloadSpec.String(1, "/etc/passwd")]);
        ring.Exit(1, 1, Nr("openat"), 3, BootNs + 3_000);

        Assert.Equal(Render(ring, Redactor.None).Lines, Render(ring, Secrets).Lines);
    }

    private static void AssertNoSecret(TraceEventDto[] dtos)
    {
        foreach (TraceEventDto dto in dtos)
        {
            Assert.DoesNotContain("hunter2", dto.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cr3t", dto.Text, StringComparison.Ordinal);
            foreach (SyscallArg arg in dto.Args ?? [])
            {
                string payload = Encoding.Latin1.GetString(arg.Payload ?? []);
                Assert.DoesNotContain("hunter2", payload, StringComparison.Ordinal);
                Assert.DoesNotContain("s3cr3t", payload, StringComparison.Ordinal);
                Assert.DoesNotContain("hunter2", arg.Text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void TlsPlaintext_IsRedactedLikeAnyBuffer_InItsLineAndItsStructuredData()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Tls(10, 10, TlsDirection.Write, TlsLibrary.OpenSsl, 5, 40, 1_000, Encoding.ASCII.GetBytes("POST /login?password=hunter2 HTTP/1.1\r\n"));
        var redactor = new Redactor(["hunter2"], NullLogger<Redactor>.Instance);

        (_, TraceEventDto[] dtos) = Render(ring, redactor);

        TraceEventDto tls = Assert.Single(dtos);
        Assert.Equal(TraceEventKind.Tls, tls.Kind);
        Assert.DoesNotContain("hunter2", tls.Text, StringComparison.Ordinal);
        Assert.Contains("password=<redacted> HTTP/1.1", tls.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", Encoding.Latin1.GetString(tls.Tls!.Data!), StringComparison.Ordinal);
        Assert.Equal(("write", "openssl", 5, 40L), (tls.Tls.Direction, tls.Tls.Library, tls.Tls.Fd, tls.Tls.Result));
    }

    private static (string[] Lines, TraceEventDto[] Dtos) Render(RingBuilder ring, Redactor redactor)
    {
        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        byte[] buffer = redactor.Enabled ? RedactedRecords.Rewrite(redactor, snapshot.Buffer, events, redactor.Begin()) : snapshot.Buffer.ToArray();
        var lines = new List<string>();
        var dtos = new List<TraceEventDto>();
        var scratch = new StringBuilder();
        foreach (TraceEvent e in events)
        {
            dtos.Add(EventDtoFactory.Create(buffer, e, BootClock.WithOffset(0), scratch));
            if (e.Type != TraceEventType.Syscall)
            {
                continue;
            }
            var sb = new StringBuilder();
            StraceText.AppendCall(sb, buffer, e);
            string line = sb.ToString();
            lines.Add(line[..line.LastIndexOf(" <", StringComparison.Ordinal)]);
        }
        return ([.. lines], [.. dtos]);
    }
}
