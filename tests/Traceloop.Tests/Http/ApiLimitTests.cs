using System.Net.Sockets;
using System.Text;
using Traceloop.Recorder.Containers;
using Traceloop.Tests.Containers;

namespace Traceloop.Tests.Http;

/// <summary>
/// The limits that keep the recorder's memory bounded under load: dumps at once, slow readers,
/// request sizes. Dumps here come from 2 MiB rings, so a reader that does not read leaves the
/// server blocked on a full socket, holding its dump, as a slow client would.
/// </summary>
public sealed class ApiLimitTests
{
    private const int NR_getppid = 110;
    private const int BigRing = 2 * 1024 * 1024;

    private static RecordedContainer StartFull(ApiHost host, int n)
    {
        RecordedContainer c = host.Harness.Start(RegistryHarness.PodUid(n), RegistryHarness.ContainerId(n));
        var ring = (FakeRing)c.Ring!;
        for (int i = 0; i < 12_000; i++) // 24,000 records of 96 bytes: the whole ring, wrapped
        {
            ring.Builder.Enter(4242, 4242, NR_getppid, 1000 + (ulong)(2 * i));
            ring.Builder.Exit(4242, 4242, NR_getppid, 1, 1000 + (ulong)(2 * i) + 1);
        }
        return c;
    }

    /// <summary>Opens a JSON dump (megabytes) and reads nothing but its first byte, once the server has started writing it.</summary>
    private static async Task<Socket> StallAsync(ApiHost host, string id)
    {
        Socket socket = await RawHttp.ConnectAsync(host.SocketPath);
        await socket.SendAsync(RawHttp.Get($"/containers/{id}/dump?format=json"));
        await socket.ReceiveAsync(new byte[1], SocketFlags.Peek).WaitAsync(TimeSpan.FromSeconds(5));
        return socket;
    }

    [Fact]
    public async Task DumpsBeyondTheLimitWaitInTheQueue_BeyondItAreRefusedWith503_AndAllIsServedAgainOnceTheReadersGo()
    {
        await using ApiHost host = await ApiHost.StartAsync(new Dictionary<string, string?>
        {
            ["MaxConcurrentDumps"] = "2",
            ["DumpQueue"] = "1",
        }, BigRing);
        RecordedContainer c = StartFull(host, 1);
        using Socket first = await StallAsync(host, c.Id);
        using Socket second = await StallAsync(host, c.Id);

        // Three more: one waits in the queue, the other two are refused at once.
        Task<byte[]>[] extra = [.. Enumerable.Range(0, 3).Select(_ => RawHttp.ExchangeAsync(host.SocketPath, RawHttp.Get($"/containers/{c.Id}/dump?format=text"), timeout: TimeSpan.FromSeconds(8)))];
        var refused = new List<byte[]>();
        var pending = extra.ToList();
        while (refused.Count < 2)
        {
            Task<byte[]> done = await Task.WhenAny(pending).WaitAsync(TimeSpan.FromSeconds(5));
            pending.Remove(done);
            refused.Add(await done);
        }
        foreach (byte[] response in refused)
        {
            string head = RawHttp.Head(response);
            Assert.Equal(503, RawHttp.Status(response));
            Assert.Contains("Retry-After: 1", head, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("application/problem+json", head, StringComparison.Ordinal);
            Assert.Contains("dumps are being served", Encoding.UTF8.GetString(response), StringComparison.Ordinal);
        }
        Task<byte[]> queued = Assert.Single(pending);
        Assert.False(queued.IsCompleted);

        first.Close();
        second.Close();

        byte[] served = await queued.WaitAsync(TimeSpan.FromSeconds(8));
        Assert.Equal(200, RawHttp.Status(served));
        Assert.Contains("getppid() = 1", Encoding.UTF8.GetString(served), StringComparison.Ordinal);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(200, RawHttp.Status(await RawHttp.ExchangeAsync(host.SocketPath, RawHttp.Get($"/containers/{c.Id}/dump?last=5"))));
        }
        Assert.Equal(200, RawHttp.Status(await RawHttp.ExchangeAsync(host.SocketPath, RawHttp.Get("/healthz"))));
    }

    [Fact]
    public async Task AReaderSlowerThanTheMinimumRateIsCutOff_AndItsPlaceIsFreed()
    {
        await using ApiHost host = await ApiHost.StartAsync(new Dictionary<string, string?>
        {
            ["MaxConcurrentDumps"] = "1",
            ["DumpQueue"] = "0",
            ["MinResponseRate"] = "1M",
            ["MinResponseRateGrace"] = "00:00:02",
        }, BigRing);
        RecordedContainer c = StartFull(host, 2);
        byte[] whole = await RawHttp.ExchangeAsync(host.SocketPath, RawHttp.Get($"/containers/{c.Id}/dump?format=json"));
        Assert.EndsWith("0\r\n\r\n", Encoding.ASCII.GetString(whole), StringComparison.Ordinal);

        using Socket slow = await StallAsync(host, c.Id);
        // Past the grace period and Kestrel's once-a-second check, without reading.
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        byte[] cut = await RawHttp.ReadToEndAsync(slow, TimeSpan.FromSeconds(5));

        Assert.Equal(200, RawHttp.Status(cut));
        Assert.True(cut.Length < whole.Length / 2, $"{cut.Length} of {whole.Length} bytes arrived");
        Assert.False(cut.AsSpan().EndsWith("0\r\n\r\n"u8), "the body was ended normally");
        // Its place among the dumps at once (one) is free again.
        Assert.Equal(200, RawHttp.Status(await RawHttp.ExchangeAsync(host.SocketPath, RawHttp.Get($"/containers/{c.Id}/dump?last=5"))));
    }

    [Fact]
    public async Task OversizedRequestLinesAndHeadersAreRefused_AndTheHostGoesOn()
    {
        await using ApiHost host = await ApiHost.StartAsync();

        byte[] longLine = await RawHttp.ExchangeAsync(host.SocketPath, RawHttp.Get("/containers/" + new string('a', 10_000) + "/dump"));
        byte[] bigHeader = await RawHttp.ExchangeAsync(host.SocketPath,
            Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: traceloop\r\nX-Big: {new string('b', 20_000)}\r\n\r\n"));
        byte[] manyHeaders = await RawHttp.ExchangeAsync(host.SocketPath,
            Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: traceloop\r\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"X-{i}: v\r\n")) + "\r\n"));
        byte[] body = await RawHttp.ExchangeAsync(host.SocketPath,
            Encoding.ASCII.GetBytes($"POST /containers/{new string('c', 64)}/snapshot HTTP/1.1\r\nHost: traceloop\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{new string('x', 100_000)}"));

        Assert.Equal(414, RawHttp.Status(longLine));
        Assert.Equal(431, RawHttp.Status(bigHeader));
        Assert.Equal(431, RawHttp.Status(manyHeaders));
        Assert.InRange(RawHttp.Status(body) ?? 0, 400, 499);
        Assert.Equal(200, RawHttp.Status(await RawHttp.ExchangeAsync(host.SocketPath, RawHttp.Get("/healthz"))));
    }
}
