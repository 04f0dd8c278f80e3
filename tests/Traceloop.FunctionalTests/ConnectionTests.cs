using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// TCP state changes of a container's sockets are in its timeline, next to the syscalls that
/// caused them, including the ones the kernel makes in softirq context (the peer's reset).
/// </summary>
[Collection(RecorderCollection.Name)]
public sealed class ConnectionTests(RecorderFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // A connect to a closed port of loopback (refused), then a connection to its own listener
    // that is accepted, carries one message and is closed.
    private const string ClientSource = """
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <sys/socket.h>
        #include <unistd.h>
        int main(void)
        {
            struct sockaddr_in closed = { .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            int s = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(s, (struct sockaddr *)&closed, sizeof closed) == 0)
                return 2;
            close(s);

            struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            socklen_t len = sizeof any;
            int l = socket(AF_INET, SOCK_STREAM, 0);
            if (bind(l, (struct sockaddr *)&any, sizeof any) || listen(l, 1) || getsockname(l, (struct sockaddr *)&any, &len))
                return 3;
            int c = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(c, (struct sockaddr *)&any, sizeof any))
                return 4;
            int a = accept(l, 0, 0);
            write(c, "hello", 5);
            char buf[8];
            read(a, buf, sizeof buf);
            close(c);
            close(a);
            close(l);
            return 0;
        }
        """;

    [Fact]
    public async Task ARefusedConnect_ShowsSynSentThenClose_NextToTheSyscall_AndAnAcceptedOneIsEstablished()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string binary = await StaticBinary.CompileAsync(ClientSource, cts.Token);
        string program = $"/usr/local/bin/tcp-client-{Guid.NewGuid():N}";
        BusyboxRootfs.Shared.CopyIn(binary, program);
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = [program], Network = true }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));

        List<TraceEventDto> events = await Eventually.GetAsync(async () =>
        {
            List<TraceEventDto> now = await fixture.Recorder.Client.GetDumpJsonAsync(container.Id, ct: cts.Token);
            return now.Exists(e => e.Kind == TraceEventKind.Tcp) ? now : null;
        }, Timeout, "TCP state changes in the dump");
        output.WriteLine(string.Join('\n', events.Where(e => e.Kind == TraceEventKind.Tcp || e.Name is "connect" or "accept" or "close").Select(e => e.Text)));

        // The refused connect: SYN_SENT before the syscall returns, CLOSE when the reset arrives.
        int refused = events.FindIndex(e => e.Name == "connect" && e.Errno == "ECONNREFUSED");
        Assert.True(refused >= 0, "the refused connect is in the dump");
        TraceEventDto[] toClosed = [.. events.Where(e => e.Tcp is { RemotePort: 1, RemoteAddress: "127.0.0.1" })];
        Assert.Equal(["CLOSE->SYN_SENT", "SYN_SENT->CLOSE"], toClosed.Select(e => $"{e.Tcp!.OldState}->{e.Tcp.NewState}"));
        Assert.All(toClosed, e => Assert.Equal(toClosed[0].Tcp!.Socket, e.Tcp!.Socket));
        // Both changes happened during the connect call, so they sit between its start and end in time.
        TraceEventDto call = events[refused];
        Assert.All(toClosed, e => Assert.InRange(e.TimestampNs, call.TimestampNs, call.TimestampNs + call.DurationNs!.Value));
        // SYN_SENT is made by the connecting thread itself.
        Assert.Equal((container.InitPid, container.InitPid), (toClosed[0].Pid, toClosed[0].Tid));
        Assert.Contains("--- tcp 127.0.0.1:", toClosed[1].Text, StringComparison.Ordinal);
        Assert.EndsWith(" > 127.0.0.1:1 SYN_SENT -> CLOSE ---", toClosed[1].Text, StringComparison.Ordinal);

        // The accepted connection: the client side reaches ESTABLISHED, the server side too
        // (its socket was made by accept, and belongs to the same container through its listener).
        Assert.Contains(events, e => e.Tcp is { OldState: "SYN_SENT", NewState: "ESTABLISHED" });
        Assert.Contains(events, e => e.Tcp is { NewState: "ESTABLISHED" } t && t.OldState is "SYN_RECV" or "NEW_SYN_RECV");
        Assert.Contains(events, e => e.Tcp is { NewState: "LISTEN" });

        // The text dump has the same lines.
        string text = await fixture.Recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
        Assert.Contains(" > 127.0.0.1:1 SYN_SENT -> CLOSE ---", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnHttpRequestAndItsResponse_ArePairedOnBothSides_WithMethodPathStatusAndLatency()
    {
        using var cts = new CancellationTokenSource(Timeout);
        int port = 20000 + Random.Shared.Next(20000);
        string page = $"page-{Guid.NewGuid():N}.html";
        // busybox httpd serves its working directory's files; wget asks for one and for one that is not there.
        string script = $"mkdir -p /tmp/www && echo hello > /tmp/www/{page} && cd /tmp/www && httpd -f -p 127.0.0.1:{port} & " +
            $"sleep 0.5; wget -q -O - http://127.0.0.1:{port}/{page}; wget -q -O - http://127.0.0.1:{port}/missing-{page}; kill %1; exit 0";
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sh", "-c", script], Network = true }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));

        List<TraceEventDto> events = await fixture.Recorder.Client.GetDumpJsonAsync(container.Id, ct: cts.Token);
        TraceEventDto[] http = [.. events.Where(e => e.Http is not null)];
        output.WriteLine(string.Join('\n', http.Select(e => $"{e.Text}  => {e.Http!.Role} {e.Http.Type} {e.Http.Method} {e.Http.Path} {e.Http.Status}")));

        // Each side sees the request and the response on its own descriptor: wget writes the
        // request and reads the answer, httpd reads the request and writes the answer.
        HttpMessage clientOk = Assert.Single(http, e => e.Http is { Role: "client", Type: "response", Status: 200 }).Http!;
        Assert.Equal(("GET", $"/{page}"), (clientOk.Method, clientOk.Path));
        Assert.True(clientOk.LatencyNs > 0);
        HttpMessage serverOk = Assert.Single(http, e => e.Http is { Role: "server", Type: "response", Status: 200 }).Http!;
        Assert.Equal(("GET", $"/{page}"), (serverOk.Method, serverOk.Path));
        HttpMessage clientMissing = Assert.Single(http, e => e.Http is { Role: "client", Type: "response", Status: 404 }).Http!;
        Assert.Equal($"/missing-{page}", clientMissing.Path);
        Assert.Equal(2, http.Count(e => e.Http is { Role: "client", Type: "request" }));
        Assert.Equal(2, http.Count(e => e.Http is { Role: "server", Type: "request" }));

        // The text dump has a line for each, after the syscall that carried it.
        string text = await fixture.Recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token);
        string[] lines = text.Split('\n');
        int answer = Array.FindIndex(lines, l => l.Contains("--- http client response 200 OK to GET /" + page + " in ", StringComparison.Ordinal));
        Assert.True(answer > 0, "the client's response line is in the text dump");
        Assert.Contains("read(", lines[answer - 1], StringComparison.Ordinal);
    }
}
