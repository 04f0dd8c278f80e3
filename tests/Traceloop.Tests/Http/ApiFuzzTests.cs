using System.Diagnostics;
using System.Globalization;
using System.Text;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Tests.Containers;
using Xunit.Abstractions;

namespace Traceloop.Tests.Http;

/// <summary>The fuzz test measures the whole process's managed heap, so it runs with no other test beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}

/// <summary>
/// Ten thousand malformed and random requests against the real API with live containers and
/// saved dumps: random methods, paths with odd bytes and percent-encodings, bad query values,
/// odd headers, bodies, broken framing and raw garbage, each on a connection of its own,
/// written straight to the Unix socket. None may get a 5xx or hang, and afterwards the host
/// answers and the managed heap is back near where it was. Seeded: the same requests every run.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ApiFuzzTests(ITestOutputHelper output)
{
    private const int NR_getppid = 110;
    private const int Requests = 10_000;
    private const int Workers = 4;
    // After a warm-up with the same kinds of request, the heap may grow by at most this much:
    // Kestrel's and the sockets' pools are full by then, so anything beyond would be held per request.
    private const long MemoryBound = 16 * 1024 * 1024;

    private static readonly string[] Methods = ["GET", "GET", "GET", "GET", "POST", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "FOO", "get", "M-SEARCH", "GET\t", "G@T"];
    private static readonly string[] Templates =
    [
        "/containers/{}/dump", "/containers/{}/dump", "/containers/{}/snapshot", "/pods/{}/{}/dump", "/pods/{}/{}/snapshot",
        "/dumps/{}", "/dumps/{}", "/dumps", "/containers", "/list", "/dump-by-name", "/dump-by-cgroup", "/healthz", "/version",
        "/", "/{}", "/{}/{}/{}", "*", "http://traceloop/containers/{}/dump", "//containers//{}/dump", "/containers/../dumps/{}",
        "/containers/{}/dump/", "/CONTAINERS/{}/DUMP", "/dumps/{}/{}",
    ];
    private static readonly string[] QueryNames = ["last", "last", "format", "format", "selector", "namespace", "pod", "container", "trigger", "since", "name", "cgroup", "x", "", "LAST", "last[]"];
    private static readonly string[] Numbers = ["1", "5", "0", "-1", "-2147483648", "2147483647", "2147483648", "99999999999999999999999999", "+5", " 5", "5 ", "1e3", "0x10", "1.5", "%D9%A3", "NaN", "", "00000000000000000000001"];
    private static readonly string[] Formats = ["text", "json", "msgpack", "JSON", "Text", "xml", "", "msgpack%00", "text,json", "%74ext"];
    private static readonly string[] Values =
    [
        "app=web,tier!=db", "a in (b, c)", "!!!", "=", "a==b", "x notin ()", "2026-11-23T08:00:00Z", "yesterday", "9999-99-99", "0001-01-01T00:00:00Z",
        "ns/pod", "a/b/c/d", "/sys/fs/cgroup/../../etc/passwd", "/", "%2F", "exit", "oom", "manual", "%FF%FE", "%E2%82%AC", "%00", "%", "%%", "+", "a b",
    ];
    // No header here announces a body (Transfer-Encoding): one that never came would be waited for
    // until Kestrel's minimum request rate ends it. Malformed() sends those, then ends its input.
    private static readonly string[] Headers =
    [
        "Accept: */*", "Accept: application/x-msgpack", "Accept: text/html;q=0.9, */*;q=0.1", "Accept-Encoding: gzip, br", "Range: bytes=0-10", "Range: bytes=-1",
        "Expect: 100-continue", "If-None-Match: *", "Content-Type: application/json", "Content-Type: multipart/form-data; boundary=x", "Cookie: a=b; c",
        "Authorization: Bearer x", "X-Forwarded-For: 1.2.3.4", "Origin: null", "Upgrade: websocket", "TE: trailers", "Content-Encoding: gzip",
        "Max-Forwards: -1", "X-Empty:", "X-Utf8: \u00e9t\u00e9", "Host: second-host", ": no-name", "No-Colon",
        " Leading-Space: x", "X-Fold: a\r\n  folded", "X-Nul: a\0b", "X-Ctl: \u0001\u001f",
    ];

    [Fact]
    public async Task TenThousandMalformedRequests_GetNo5xx_AndLeaveTheHostServing_WithItsMemoryBack()
    {
        await using ApiHost host = await ApiHost.StartAsync();
        var live = new List<string>();
        for (int n = 1; n <= 6; n++)
        {
            RecordedContainer c = host.Harness.Start(RegistryHarness.PodUid(n), RegistryHarness.ContainerId(n));
            var ring = (FakeRing)c.Ring!;
            for (int i = 0; i < 20 * n; i++)
            {
                ring.Builder.Enter(4242, 4242, NR_getppid, 1000 + (ulong)(2 * i));
                ring.Builder.Exit(4242, 4242, NR_getppid, 1, 1000 + (ulong)(2 * i) + 1);
            }
            live.Add(c.Id);
        }
        var saved = new List<string>();
        foreach (string id in live.Take(3))
        {
            SavedDumpInfo info = await host.Client.SnapshotContainerAsync(id).WaitAsync(TimeSpan.FromSeconds(10));
            saved.Add(info.Id);
        }
        var targets = new Targets([.. live], [.. saved]);

        await RunAsync(host, targets, seed: 1, count: 500); // warm-up: pools and JIT
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        Outcome outcome = await RunAsync(host, targets, seed: 20261206, count: Requests);
        clock.Stop();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{outcome.Sent} requests in {clock.Elapsed.TotalSeconds:F1} s: {outcome.Answered} answered, {outcome.Successes} 2xx, " +
            $"{outcome.Versions} 505 for other HTTP versions; managed heap {before / 1024} KiB before, {after / 1024} KiB after");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{Requests} requests took {clock.Elapsed}; slowest:\n" + string.Join("\n", outcome.Slow.Take(20)));
        Assert.True(outcome.ServerErrors.IsEmpty, "5xx answers:\n" + string.Join("\n", outcome.ServerErrors.Take(20)));
        Assert.True(outcome.Hangs.IsEmpty, "no answer and no close within 10 s:\n" + string.Join("\n", outcome.Hangs.Take(20)));
        Assert.Equal(Requests, outcome.Sent);
        Assert.True(outcome.Answered > Requests / 2, $"only {outcome.Answered} of {Requests} requests got an HTTP answer");
        Assert.True(outcome.Successes > Requests / 20, $"only {outcome.Successes} of {Requests} requests got a 2xx: the fuzz barely reached the endpoints");
        Assert.Equal(200, HttpStatusCode(await host.Client.SendAsync("/healthz").WaitAsync(TimeSpan.FromSeconds(5))));
        Assert.Equal(live.Count, (await host.Client.GetContainersAsync().WaitAsync(TimeSpan.FromSeconds(5))).Count);
        Assert.True(after - before < MemoryBound, $"managed heap {before / 1024} KiB before, {after / 1024} KiB after {Requests} requests");
    }

    private static int HttpStatusCode(HttpResponseMessage response)
    {
        using (response)
        {
            return (int)response.StatusCode;
        }
    }

    private sealed record Targets(string[] Containers, string[] Dumps);

    private sealed class Outcome
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> ServerErrors { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<string> Hangs { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<string> Slow { get; } = new();

        public int Sent;

        public int Answered;

        public int Successes;

        public int Versions;
    }

    private static async Task<Outcome> RunAsync(ApiHost host, Targets targets, int seed, int count)
    {
        var outcome = new Outcome();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 31 + w);
            for (int i = 0; i < count / Workers; i++)
            {
                byte[] request = Request(random, targets, out bool endInput);
                Interlocked.Increment(ref outcome.Sent);
                byte[] response;
                long started = Stopwatch.GetTimestamp();
                try
                {
                    response = await RawHttp.ExchangeAsync(host.SocketPath, request, endInput, TimeSpan.FromSeconds(10));
                }
                catch (OperationCanceledException)
                {
                    outcome.Hangs.Enqueue(Describe(request));
                    continue;
                }
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(1))
                {
                    outcome.Slow.Enqueue($"{Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s for {Describe(request)}");
                }
                if (RawHttp.Status(response) is { } status)
                {
                    Interlocked.Increment(ref outcome.Answered);
                    if (status is >= 200 and < 300)
                    {
                        Interlocked.Increment(ref outcome.Successes);
                    }
                    // 505 is Kestrel's answer to a request line naming another version than HTTP/1.x (HTTP/9.9,
                    // or garbage), given before the request reaches the recorder: the client's mistake, in the
                    // status HTTP has for it.
                    if (status == 505 && !NamesHttp1(request))
                    {
                        Interlocked.Increment(ref outcome.Versions);
                    }
                    else if (status >= 500)
                    {
                        outcome.ServerErrors.Enqueue($"{status} for {Describe(request)}: {Encoding.UTF8.GetString(response, 0, Math.Min(response.Length, 600))}");
                    }
                }
            }
        })));
        return outcome;
    }

    private static bool NamesHttp1(byte[] request)
    {
        ReadOnlySpan<byte> line = request;
        int end = line.IndexOf((byte)'\n');
        line = (end < 0 ? line : line[..end]).TrimEnd((byte)'\r');
        return line.EndsWith(" HTTP/1.1"u8) || line.EndsWith(" HTTP/1.0"u8);
    }

    private static string Describe(byte[] request) =>
        Encoding.UTF8.GetString(request, 0, Math.Min(request.Length, 300)).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    /// <summary>One request: mostly well framed with odd contents, else broken framing, garbage, or several in a row.</summary>
    private static byte[] Request(Random random, Targets targets, out bool endInput)
    {
        int kind = random.Next(100);
        endInput = true;
        if (kind < 20)
        {
            // A real endpoint and a real id, so the odd query values reach the handlers.
            endInput = false;
            string id = Pick(random, targets.Containers);
            string path = random.Next(6) switch
            {
                0 => $"/containers/{id}/dump",
                1 => $"/containers/{id[..random.Next(4, 65)]}/dump",
                2 => $"/dumps/{Pick(random, targets.Dumps)}",
                3 => "/dumps",
                4 => "/containers",
                _ => $"/dump-by-name",
            };
            return Encoding.UTF8.GetBytes($"GET {path}{Query(random, targets)} HTTP/1.1\r\nHost: traceloop\r\nConnection: close\r\n\r\n");
        }
        if (kind < 60)
        {
            endInput = random.Next(5) == 0;
            return Framed(random, targets, close: true);
        }
        if (kind < 75)
        {
            return Malformed(random, targets);
        }
        if (kind < 90)
        {
            byte[] garbage = new byte[random.Next(2048)];
            random.NextBytes(garbage);
            return random.Next(3) == 0 ? [.. Encoding.ASCII.GetBytes(Pick(random, Methods) + " "), .. garbage] : garbage;
        }
        return random.Next(4) switch
        {
            0 => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(),
            1 => Encoding.ASCII.GetBytes($"GET {Path(random, targets)} HTTP/1.0\r\n\r\n"),
            _ => [.. Framed(random, targets, close: false), .. Framed(random, targets, close: false), .. Framed(random, targets, close: true)],
        };
    }

    private static byte[] Framed(Random random, Targets targets, bool close)
    {
        var sb = new StringBuilder();
        string method = Pick(random, Methods);
        sb.Append(method).Append(' ').Append(Path(random, targets)).Append(Query(random, targets)).Append(" HTTP/1.1\r\nHost: traceloop\r\n");
        int headers = random.Next(4) == 0 ? random.Next(40) : random.Next(3);
        for (int i = 0; i < headers; i++)
        {
            sb.Append(random.Next(8) == 0 ? $"X-Long: {new string('h', random.Next(12_000))}" : Pick(random, Headers)).Append("\r\n");
        }
        if (close)
        {
            sb.Append("Connection: close\r\n");
        }
        byte[] body = [];
        if (method is not ("GET" or "HEAD") && random.Next(2) == 0)
        {
            body = new byte[random.Next(3000)];
            random.NextBytes(body);
            if (random.Next(3) == 0)
            {
                sb.Append("Transfer-Encoding: chunked\r\n\r\n");
                return [.. Encoding.UTF8.GetBytes(sb.ToString()), .. Encoding.ASCII.GetBytes(body.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), .. body, .. "\r\n0\r\n\r\n"u8];
            }
            sb.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        }
        sb.Append("\r\n");
        return [.. Encoding.UTF8.GetBytes(sb.ToString()), .. body];
    }

    /// <summary>A request whose framing is wrong: versions, lengths, line endings, chunks.</summary>
    private static byte[] Malformed(Random random, Targets targets)
    {
        string path = Path(random, targets) + Query(random, targets);
        string text = random.Next(11) switch
        {
            10 => $"GET {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            0 => $"GET {path} HTTP/9.9\r\nHost: t\r\n\r\n",
            1 => $"GET {path} HTTP/1.1x\r\nHost: t\r\n\r\n",
            2 => $"GET {path}\r\n\r\n",
            3 => $"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {Pick(random, Numbers)}\r\n\r\nabc",
            4 => $"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
            5 => $"POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{Pick(random, Numbers)}\r\nabc\r\n0\r\n\r\n",
            6 => $"GET {path} HTTP/1.1\nHost: t\n\n",
            7 => $"GET {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
            8 => $"GET  {path}  HTTP/1.1\r\n\r\n",
            _ => $"GET {path} HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",
        };
        return Encoding.UTF8.GetBytes(text);
    }

    private static string Path(Random random, Targets targets)
    {
        string template = Pick(random, Templates);
        var sb = new StringBuilder();
        foreach (char c in template)
        {
            sb.Append(c == '{' ? Segment(random, targets) : c == '}' ? "" : c.ToString());
        }
        return sb.ToString();
    }

    private static string Segment(Random random, Targets targets)
    {
        switch (random.Next(10))
        {
            case 0 or 1:
                return Pick(random, targets.Containers);
            case 2:
                return Pick(random, targets.Containers)[..random.Next(1, 65)];
            case 3:
                return Pick(random, targets.Dumps);
            case 4:
                char[] id = Pick(random, targets.Dumps).ToCharArray();
                id[random.Next(id.Length)] = (char)random.Next(0x21, 0x7f);
                return Uri.EscapeDataString(new string(id));
        }
        var sb = new StringBuilder();
        int pieces = random.Next(1, 6);
        for (int i = 0; i < pieces; i++)
        {
            sb.Append(random.Next(14) switch
            {
                0 => "%" + random.Next(256).ToString("X2", CultureInfo.InvariantCulture),
                1 => "%" + (char)random.Next(0x21, 0x7f),
                2 => "%00",
                3 => "%2F",
                4 => "%2e%2e",
                5 => "..",
                6 => "%C0%AF",
                7 => "%E2%82%AC",
                8 => new string('a', random.Next(5000)),
                9 => ((char)random.Next(0x80, 0x100)).ToString(),
                10 => ";x=1",
                11 => Uri.EscapeDataString(((char)random.Next(1, 0x2000)).ToString()),
                _ => new string((char)random.Next('a', 'z' + 1), random.Next(1, 12)),
            });
        }
        return sb.ToString();
    }

    private static string Query(Random random, Targets targets)
    {
        if (random.Next(3) == 0)
        {
            return "";
        }
        var parts = new List<string>();
        int n = random.Next(1, 5);
        for (int i = 0; i < n; i++)
        {
            string name = Pick(random, QueryNames);
            string value = name switch
            {
                "last" or "LAST" or "last[]" => Pick(random, Numbers),
                "format" => Pick(random, Formats),
                "name" when random.Next(2) == 0 => Pick(random, targets.Containers)[..random.Next(4, 65)],
                _ => random.Next(4) == 0 ? Segment(random, targets) : Pick(random, Values),
            };
            parts.Add(random.Next(10) == 0 ? name : $"{name}={value}");
        }
        return "?" + string.Join(random.Next(10) == 0 ? "&&" : "&", parts);
    }
}
