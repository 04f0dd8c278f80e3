using System.Net;
using System.Net.Sockets;
using System.Text;
using Traceloop.Api;

namespace Traceloop.Tests.Api;

/// <summary>
/// The client waits out the recorder's "503 busy, Retry-After" (its bound on dumps at once) within
/// a budget, so a CLI in a dump storm gets its dump late rather than an error.
/// </summary>
public sealed class ClientBusyRetryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-client-").FullName;

    private string SocketPath => Path.Join(_dir, "s.sock");

    /// <summary>Answers each connection with the next response in turn (Connection: close); returns the requests seen.</summary>
    private Task<List<string>> ServeAsync(IReadOnlyList<string> responses, CancellationToken ct)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen();
        return Task.Run(async () =>
        {
            var seen = new List<string>();
            using (listener)
            {
                foreach (string response in responses)
                {
                    using Socket s = await listener.AcceptAsync(ct);
                    var request = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        int n = await s.ReceiveAsync(buffer, ct);
                        if (n == 0)
                        {
                            break;
                        }
                        request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    seen.Add(request.ToString().Split("\r\n")[0]);
                    await s.SendAsync(Encoding.ASCII.GetBytes(response), ct);
                    s.Shutdown(SocketShutdown.Both);
                }
            }
            return seen;
        }, ct);
    }

    private static string Response(string status, string headers, string body) =>
        $"HTTP/1.1 {status}\r\n{headers}Connection: close\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    private static string Busy(int seconds) =>
        Response("503 Service Unavailable", $"Retry-After: {seconds}\r\nContent-Type: application/problem+json\r\n", """{"title":"busy","detail":"too many."}""");

    private static readonly string Healthy = Response("200 OK", "Content-Type: application/json\r\n", """{"status":"ok","containers":3}""");

    [Fact]
    public async Task A503WithRetryAfter_IsWaitedOut_AndTheAnswerReturned()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<List<string>> server = ServeAsync([Busy(1), Busy(1), Healthy], cts.Token);
        using var client = new TraceloopClient(SocketPath);

        HealthStatus health = await client.GetHealthAsync(cts.Token);

        Assert.Equal(3, health.Containers);
        Assert.Equal(3, (await server).Count(r => r.StartsWith("GET /healthz ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BeyondTheBudget_TheRecordersReasonIsThrown_SayingHowLongItWaited()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<List<string>> server = ServeAsync([Busy(1), Busy(1)], cts.Token);
        using var client = new TraceloopClient(SocketPath) { BusyRetryBudget = TimeSpan.FromSeconds(1) };

        var e = await Assert.ThrowsAsync<TraceloopApiException>(() => client.GetHealthAsync(cts.Token));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.Status);
        Assert.Equal("too many. (still so after waiting 1 s)", e.Message);
        Assert.Equal(2, (await server).Count);
    }

    [Fact]
    public async Task A503WithoutRetryAfter_IsNotRetried()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task<List<string>> server = ServeAsync(
            ["HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"], cts.Token);
        using var client = new TraceloopClient(SocketPath);

        var e = await Assert.ThrowsAsync<TraceloopApiException>(() => client.GetHealthAsync(cts.Token));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.Status);
        Assert.Single(await server);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
