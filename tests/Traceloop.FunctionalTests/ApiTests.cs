using System.Net;
using System.Text.Json;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Bpf;

namespace Traceloop.FunctionalTests;

/// <summary>The HTTP API on the real socket: status codes, error bodies, and the three formats agreeing.</summary>
[Collection(RecorderCollection.Name)]
public sealed class ApiTests(RecorderFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private RecorderProcess Recorder => fixture.Recorder;

    [Theory]
    [InlineData("containers/0123456789abcdef/dump", HttpStatusCode.NotFound, "no recorded container has id '0123456789abcdef'")]
    [InlineData("containers/XYZ!/dump", HttpStatusCode.BadRequest, "must be 4 to 64 lowercase hex digits")]
    [InlineData("containers/abc/dump", HttpStatusCode.BadRequest, "must be 4 to 64 lowercase hex digits")]
    [InlineData("containers/abcd/dump?format=xml", HttpStatusCode.BadRequest, "format 'xml' is not one of text, json, msgpack")]
    [InlineData("containers/abcd/dump?last=0", HttpStatusCode.BadRequest, "last '0' must be a positive whole number")]
    [InlineData("containers/abcd/dump?last=ten", HttpStatusCode.BadRequest, "last 'ten' must be a positive whole number")]
    [InlineData("containers/abcd/dump?last=99999999999999", HttpStatusCode.BadRequest, "must be a positive whole number")]
    [InlineData("no/such/endpoint", HttpStatusCode.NotFound, "no endpoint GET /no/such/endpoint")]
    public async Task BadRequests_GetAJsonErrorSayingWhatIsWrong(string path, HttpStatusCode status, string detail)
    {
        var e = await Assert.ThrowsAsync<TraceloopApiException>(() => Recorder.Client.SendAsync(path));
        Assert.Equal(status, e.Status);
        Assert.Contains(detail, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorBodies_AreProblemDetails()
    {
        using var http = RawClient();
        using HttpResponseMessage response = await http.GetAsync("containers/0123456789abcdef/dump");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(404, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Not Found", body.RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task MalformedHttp_IsRefusedWithout500AndTheRecorderKeepsServing()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(Recorder.SocketPath));
        await socket.SendAsync("GET /containers/%zz%/dump HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"u8.ToArray());
        var buffer = new byte[4096];
        int n = await socket.ReceiveAsync(buffer);
        string reply = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        Assert.StartsWith("HTTP/1.1 400", reply, StringComparison.Ordinal);
        Assert.Equal("ok", (await Recorder.Client.GetHealthAsync()).Status);
    }

    [Fact]
    public async Task HealthAndVersion()
    {
        HealthStatus health = await Recorder.Client.GetHealthAsync();
        Assert.Equal("ok", health.Status);
        VersionInfo version = await Recorder.Client.GetVersionAsync();
        Assert.Equal(DumpHeader.CurrentFormatVersion, version.DumpFormatVersion);
        Assert.Contains("tl_sys_enter", version.Programs);
        Assert.Contains("tl_cgroup_mkdir", version.Programs);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Version);
    }

    [Fact]
    public async Task TheSocket_IsNotWorldWritable()
    {
        UnixFileMode mode = File.GetUnixFileMode(Recorder.SocketPath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, mode);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task TextJsonAndMessagePack_CarryTheSameEvents_AndLastTakesTheNewest()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using RuncContainer container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", "ls / >/dev/null; cat /etc/passwd >/dev/null; exit 3"] }, cts.Token);
        Assert.Equal(3, await container.WaitForExitAsync(cts.Token));
        await Eventually.TrueAsync(async () => (await Recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == container.Id && c.ExitedAt is not null),
            Timeout, "the container to end");

        (DumpHeader header, List<TraceEventDto> packed) = await Recorder.Client.GetDumpAsync(container.Id, ct: cts.Token);
        List<TraceEventDto> json = await Recorder.Client.GetDumpJsonAsync(container.Id, ct: cts.Token);
        string text = await Recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToArray();

        Assert.True(packed.Count > 50, $"{packed.Count} events");
        Assert.Equal(header.Events, packed.Count);
        Assert.Equal(packed.Count, json.Count);
        Assert.Equal(packed.Count, lines.Length);
        for (int i = 0; i < packed.Count; i++)
        {
            Assert.Equal(packed[i].TimestampNs, json[i].TimestampNs);
            Assert.Equal(packed[i].Text, json[i].Text);
            Assert.Equal(packed[i].Ret, json[i].Ret);
            Assert.EndsWith(packed[i].Text!, lines[i], StringComparison.Ordinal);
        }
        Assert.Contains(packed, e => e.Kind == TraceEventKind.ProcessExit && e.ExitStatus == 3 << 8 && e.ProcessEnded == true);
        Assert.Contains("# container " + container.Id, text, StringComparison.Ordinal);

        (DumpHeader lastHeader, List<TraceEventDto> last) = await Recorder.Client.GetDumpAsync(container.Id, last: 5, ct: cts.Token);
        Assert.Equal(5, lastHeader.Events);
        Assert.Equal(packed.TakeLast(5).Select(e => e.Text), last.Select(e => e.Text));
        Assert.Equal(5, (await Recorder.Client.GetDumpJsonAsync(container.Id, last: 5, ct: cts.Token)).Count);
    }

    private HttpClient RawClient() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(Recorder.SocketPath), ct);
            return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
        },
    })
    { BaseAddress = new Uri("http://traceloop/") };
}
