using System.Text;
using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Records;

/// <summary>
/// The socket of a TLS record, found from the syscalls its thread made between the call's
/// entry and its return, on synthetic rings laid out as the kernel writes them.
/// </summary>
public sealed class TlsSocketsTests
{
    private const int NR_read = 0, NR_write = 1, NR_writev = 20, NR_sendto = 44, NR_recvmsg = 47, NR_openat = 257;
    private const ulong T0 = 7_000_000_000;
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET /orders HTTP/1.1\r\nHost: shop\r\n");

    [Fact]
    public void AnOpenSslWrite_GetsTheSocketOfTheWriteItsThreadMadeDuringTheCall()
    {
        var ring = new RingBuilder(64 * 1024);
        Syscall(ring, 10, 11, NR_write, fd: 5, T0 + 100);
        ring.Tls(10, 11, TlsDirection.Write, TlsLibrary.OpenSsl, -1, Request.Length, T0 + 1_000, Request, start: T0);

        (TraceEvent[] events, byte[] buffer) = Assemble(ring);

        TraceEvent tls = events.Single(e => e.Type == TraceEventType.Tls);
        Assert.Equal(5, tls.TlsFd);
        var sb = new StringBuilder();
        StraceText.AppendEvent(sb, buffer, tls);
        Assert.StartsWith("--- tls write openssl fd=5 \"GET /orders", sb.ToString(), StringComparison.Ordinal);
        TraceEventDto dto = EventDtoFactory.Create(buffer, tls, BootClock.Now(), new StringBuilder());
        Assert.Equal(5, dto.Tls!.Fd);
        Assert.Equal(sb.ToString(), dto.Text);
    }

    [Fact]
    public void OfSeveralSyscallsDuringTheCall_TheLastOfItsDirectionIsTheSocket()
    {
        var ring = new RingBuilder(64 * 1024);
        // A log line written first, a read on the socket (renegotiation, a session ticket), then the record sent with sendto.
        Syscall(ring, 10, 11, NR_write, fd: 2, T0 + 100);
        Syscall(ring, 10, 11, NR_read, fd: 9, T0 + 200);
        Syscall(ring, 10, 11, NR_sendto, fd: 6, T0 + 300);
        Syscall(ring, 10, 11, NR_openat, fd: -100, T0 + 400);
        ring.Tls(10, 11, TlsDirection.Write, TlsLibrary.OpenSsl, -1, Request.Length, T0 + 1_000, Request, start: T0);
        // A read whose ciphertext came with recvmsg; the earlier write does not count for a read.
        Syscall(ring, 10, 11, NR_recvmsg, fd: 6, T0 + 2_100);
        Syscall(ring, 10, 11, NR_writev, fd: 3, T0 + 2_200);
        ring.Tls(10, 11, TlsDirection.Read, TlsLibrary.OpenSsl, -1, 17, T0 + 3_000, Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n"), start: T0 + 2_000);

        (TraceEvent[] events, _) = Assemble(ring);

        Assert.Equal([6, 6], events.Where(e => e.Type == TraceEventType.Tls).Select(e => e.TlsFd));
    }

    [Fact]
    public void AReadServedFromTheLibrarysBuffer_HasNoSocket()
    {
        var ring = new RingBuilder(64 * 1024);
        // One read brought two records; the second SSL_read returns the rest without a syscall.
        Syscall(ring, 10, 11, NR_read, fd: 5, T0 + 100);
        ring.Tls(10, 11, TlsDirection.Read, TlsLibrary.OpenSsl, -1, 17, T0 + 1_000, Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n"), start: T0);
        ring.Tls(10, 11, TlsDirection.Read, TlsLibrary.OpenSsl, -1, 4, T0 + 2_000, Encoding.ASCII.GetBytes("body"), start: T0 + 1_500);

        (TraceEvent[] events, byte[] buffer) = Assemble(ring);

        TraceEvent[] tls = [.. events.Where(e => e.Type == TraceEventType.Tls)];
        Assert.Equal(5, tls[0].TlsFd);
        Assert.Equal(-1, tls[1].TlsFd);
        var sb = new StringBuilder();
        StraceText.AppendEvent(sb, buffer, tls[1]);
        Assert.Equal("--- tls read openssl \"body\" = 4 ---", sb.ToString());
        Assert.Null(EventDtoFactory.Create(buffer, tls[1], BootClock.Now(), new StringBuilder()).Tls!.Fd);
    }

    [Fact]
    public void AnotherThreadsOrProcesssSyscalls_AreNotTheSocket()
    {
        var ring = new RingBuilder(64 * 1024);
        Syscall(ring, 10, 12, NR_write, fd: 5, T0 + 100); // another thread of the process
        ring.Tls(10, 11, TlsDirection.Write, TlsLibrary.Go, -1, Request.Length, T0 + 1_000, Request, start: T0);

        (TraceEvent[] events, _) = Assemble(ring);

        Assert.Equal(-1, events.Single(e => e.Type == TraceEventType.Tls).TlsFd);
    }

    [Fact]
    public void ASocketTheProbeKnew_IsKept()
    {
        var ring = new RingBuilder(64 * 1024);
        Syscall(ring, 10, 11, NR_write, fd: 5, T0 + 100);
        ring.Tls(10, 11, TlsDirection.Write, TlsLibrary.OpenSsl, 8, Request.Length, T0 + 1_000, Request, start: T0);

        (TraceEvent[] events, _) = Assemble(ring);

        Assert.Equal(8, events.Single(e => e.Type == TraceEventType.Tls).TlsFd);
    }

    [Fact]
    public void WithItsSocketKnown_AnOpenSslExchangeIsPairedPerSocket_AcrossThreads()
    {
        var ring = new RingBuilder(64 * 1024);
        // A client writes its request on one thread and a reader thread takes the response: one socket, two threads.
        Syscall(ring, 10, 11, NR_write, fd: 5, T0 + 100);
        ring.Tls(10, 11, TlsDirection.Write, TlsLibrary.OpenSsl, -1, Request.Length, T0 + 1_000, Request, start: T0);
        Syscall(ring, 10, 12, NR_read, fd: 5, T0 + 4_000_100);
        ring.Tls(10, 12, TlsDirection.Read, TlsLibrary.OpenSsl, -1, 22, T0 + 4_001_000, Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\n"), start: T0 + 4_000_000);

        (TraceEvent[] events, byte[] buffer) = Assemble(ring);
        Dictionary<int, HttpMessage> found = HttpAnnotations.Find(buffer, events);

        int request = Array.FindIndex(events, e => e.Type == TraceEventType.Tls && e.Tid == 11);
        int response = Array.FindIndex(events, e => e.Type == TraceEventType.Tls && e.Tid == 12);
        Assert.Equal(("request", "GET", "/orders", 5), (found[request].Type, found[request].Method, found[request].Path, found[request].Fd));
        Assert.Equal(("response", 404, "GET", "/orders", 5), (found[response].Type, found[response].Status, found[response].Method, found[response].Path, found[response].Fd));
    }

    private static (TraceEvent[] Events, byte[] Buffer) Assemble(RingBuilder ring)
    {
        RingSnapshot snapshot = ring.Snapshot();
        return (EventAssembler.Assemble(snapshot), snapshot.Buffer.ToArray());
    }

    private static void Syscall(RingBuilder ring, uint pid, uint tid, int nr, int fd, ulong ts)
    {
        ring.Enter(pid, tid, nr, ts, [(ulong)(long)fd, 0x7f00_0000_1000, 64]);
        ring.Exit(pid, tid, nr, 64, ts + 50);
    }
}
