using System.Text;
using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Dumps;

public sealed class HttpAnnotationsTests
{
    private const int NR_read = 0, NR_write = 1, NR_close = 3;
    private const ulong T0 = 5_000_000_000;

    [Theory]
    [InlineData("GET /api/checkout HTTP/1.1\r\nHost: shop\r\n", false, "GET", "/api/checkout", false)]
    [InlineData("POST /orders?id=7 HTTP/1.0\r\n", false, "POST", "/orders?id=7", false)]
    [InlineData("GET /a/very/long/path/that/the/capture/ended/ins", true, "GET", "/a/very/long/path/that/the/capture/ended/ins", true)]
    [InlineData("OPTIONS * HTTP/1.1\r\n", false, "OPTIONS", "*", false)]
    [InlineData("GET /cut-before-version HTTP/1", true, "GET", "/cut-before-version", false)]
    public void RequestLines_AreRecognised(string text, bool cut, string method, string path, bool pathCut)
    {
        Assert.True(HttpLines.TryParseRequest(Encoding.ASCII.GetBytes(text), cut, out string m, out string p, out bool c));
        Assert.Equal((method, path, pathCut), (m, p, c));
    }

    [Theory]
    [InlineData("GET /complete-but-no-version\r\n", false)]
    [InlineData("GET /x SPDY/3\r\n", false)]
    [InlineData("FETCH /x HTTP/1.1\r\n", false)]
    [InlineData("GET x HTTP/1.1\r\n", false)]
    [InlineData("GET /uncut-without-end", false)]
    [InlineData("\x16\x03\x01\x02\x00\x01", false)]
    public void OtherBytes_AreNotRequests(string text, bool cut) =>
        Assert.False(HttpLines.TryParseRequest(Encoding.Latin1.GetBytes(text), cut, out _, out _, out _));

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", 200, "OK")]
    [InlineData("HTTP/1.0 404 Not Found\r\n", 404, "Not Found")]
    [InlineData("HTTP/1.1 503", 503, "")]
    public void StatusLines_AreRecognised(string text, int status, string reason)
    {
        Assert.True(HttpLines.TryParseStatus(Encoding.ASCII.GetBytes(text), out int s, out string r));
        Assert.Equal((status, reason), (s, r));
    }

    [Theory]
    [InlineData("HTTP/2 200\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n")]
    [InlineData("HTTP/1.1 099 Odd\r\n")]
    public void OtherBytes_AreNotStatusLines(string text) =>
        Assert.False(HttpLines.TryParseStatus(Encoding.ASCII.GetBytes(text), out _, out _));

    [Fact]
    public void AClientsRequestAndResponse_ArePairedOnTheirDescriptor_WithTheLatency()
    {
        var ring = new RingBuilder(64 * 1024);
        Write(ring, pid: 10, fd: 5, "GET /api/checkout HTTP/1.1\r\nHost: shop\r\n", T0);
        Read(ring, pid: 10, fd: 5, "HTTP/1.1 502 Bad Gateway\r\n", T0 + 3_000_000);

        (TraceEvent[] events, Dictionary<int, HttpMessage> found) = Find(ring);

        HttpMessage request = found[0], response = found[1];
        Assert.Equal((HttpMessageNames.Request, HttpMessageNames.Client, "GET", "/api/checkout", 5), (request.Type, request.Role, request.Method, request.Path, request.Fd));
        Assert.Equal((HttpMessageNames.Response, HttpMessageNames.Client, "GET", "/api/checkout", 502, "Bad Gateway"),
            (response.Type, response.Role, response.Method, response.Path, response.Status, response.Reason));
        // From the write's start to the read's end.
        Assert.Equal((long)(events[1].EndTimestamp - events[0].Timestamp), response.LatencyNs);
        Assert.Equal("--- http client response 502 Bad Gateway to GET /api/checkout in 3.001 ms ---", Line(response));
        Assert.Equal("--- http client request GET /api/checkout ---", Line(request));
    }

    [Fact]
    public void AServersPipelinedRequests_AreAnsweredInOrder_AndAClosedDescriptorForgetsItsRequests()
    {
        var ring = new RingBuilder(64 * 1024);
        Read(ring, pid: 20, fd: 7, "GET /one HTTP/1.1\r\n", T0);
        Read(ring, pid: 20, fd: 7, "GET /two HTTP/1.1\r\n", T0 + 1_000);
        Write(ring, pid: 20, fd: 7, "HTTP/1.1 200 OK\r\n", T0 + 2_000);
        Write(ring, pid: 20, fd: 7, "HTTP/1.1 404 Not Found\r\n", T0 + 3_000);
        Read(ring, pid: 20, fd: 8, "GET /lost HTTP/1.1\r\n", T0 + 4_000);
        Close(ring, pid: 20, fd: 8, T0 + 5_000);
        Write(ring, pid: 20, fd: 8, "HTTP/1.1 200 OK\r\n", T0 + 6_000);
        // Another process's descriptor 7 is another connection.
        Write(ring, pid: 21, fd: 7, "HTTP/1.1 500 Internal Server Error\r\n", T0 + 7_000);

        (_, Dictionary<int, HttpMessage> found) = Find(ring);

        Assert.Equal(HttpMessageNames.Server, found[0].Role);
        Assert.Equal(("/one", 200), (found[2].Path, found[2].Status));
        Assert.Equal(("/two", 404), (found[3].Path, found[3].Status));
        Assert.Equal("/lost", found[4].Path);
        Assert.False(found.ContainsKey(5));
        Assert.Null(found[6].Method);
        Assert.Null(found[6].LatencyNs);
        Assert.Null(found[7].Method);
        Assert.Equal(500, found[7].Status);
    }

    [Fact]
    public void AnInetdStyleServer_ReadingOnZeroAndWritingOnOne_HasItsResponsePaired()
    {
        var ring = new RingBuilder(64 * 1024);
        Read(ring, pid: 30, fd: 0, "GET /index.html HTTP/1.1\r\n", T0);
        Write(ring, pid: 30, fd: 1, "HTTP/1.1 200 OK\r\n", T0 + 2_000);

        (_, Dictionary<int, HttpMessage> found) = Find(ring);

        Assert.Equal(("GET", "/index.html", 200, 1), (found[1].Method, found[1].Path, found[1].Status, found[1].Fd));
    }

    [Fact]
    public void TlsPlaintext_IsATimelineLine_AndItsHttpIsPairedPerThreadWhenTheLibraryNamesNoSocket()
    {
        var ring = new RingBuilder(64 * 1024);
        // The ciphertext write, then the plaintext the library was handed, then the answer.
        Write(ring, pid: 40, fd: 6, "\x17\x03\x03\x00\x4a", T0);
        ring.Tls(40, 41, TlsDirection.Write, TlsLibrary.Go, -1, 41, T0 + 1_000, Encoding.ASCII.GetBytes("POST /api/pay HTTP/1.1\r\nHost: shop\r\n"), comm: "client");
        ring.Tls(40, 41, TlsDirection.Read, TlsLibrary.Go, -1, 17, T0 + 5_000_000, Encoding.ASCII.GetBytes("HTTP/1.1 201 Created\r\n"), comm: "client");

        (TraceEvent[] events, Dictionary<int, HttpMessage> found) = Find(ring);

        Assert.Equal(TraceEventType.Tls, events[1].Type);
        var sb = new StringBuilder();
        StraceText.AppendEvent(sb, ring.Snapshot().Buffer, events[1]);
        Assert.Equal("--- tls write go \"POST /api/pay HTTP/1.1\\r\\nHost: shop\\r\\n\" = 41 ---", sb.ToString());
        Assert.False(found.ContainsKey(0));
        Assert.Equal(("request", "client", "POST", "/api/pay", -1), (found[1].Type, found[1].Role, found[1].Method, found[1].Path, found[1].Fd));
        Assert.Equal(("response", 201, "POST", "/api/pay"), (found[2].Type, found[2].Status, found[2].Method, found[2].Path));
        Assert.Equal(4_999_000L, found[2].LatencyNs); // from the write's record to the read's
    }

    [Fact]
    public void BinaryAndTlsBytes_AreLeftAlone()
    {
        var ring = new RingBuilder(64 * 1024);
        Write(ring, pid: 10, fd: 5, "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", T0);
        Read(ring, pid: 10, fd: 5, "\x17\x03\x03\x00\x4a", T0 + 1_000);

        Assert.Empty(Find(ring).Found);
    }

    private static (TraceEvent[] Events, Dictionary<int, HttpMessage> Found) Find(RingBuilder ring)
    {
        RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        return (events, HttpAnnotations.Find(snapshot.Buffer, events));
    }

    private static string Line(HttpMessage m)
    {
        var sb = new StringBuilder();
        HttpText.AppendLine(sb, m);
        return sb.ToString();
    }

    private static void Write(RingBuilder ring, uint pid, int fd, string data, ulong ts)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(data);
        ring.Enter(pid, pid, NR_write, ts, [(ulong)fd, 0x7f00_0000_1000, (ulong)bytes.Length], payloads: [PayloadSpec.Bytes(1, bytes)]);
        ring.Exit(pid, pid, NR_write, bytes.Length, ts + 500);
    }

    private static void Read(RingBuilder ring, uint pid, int fd, string data, ulong ts)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(data);
        ring.Enter(pid, pid, NR_read, ts, [(ulong)fd, 0x7f00_0000_2000, 4096]);
        ring.Exit(pid, pid, NR_read, bytes.Length, ts + 1_000, payloads: [PayloadSpec.Bytes(1, bytes)]);
    }

    private static void Close(RingBuilder ring, uint pid, int fd, ulong ts)
    {
        ring.Enter(pid, pid, NR_close, ts, [(ulong)fd]);
        ring.Exit(pid, pid, NR_close, 0, ts + 100);
    }
}
