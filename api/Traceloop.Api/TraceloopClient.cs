using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Traceloop.Api.MessagePack;

namespace Traceloop.Api;

/// <summary>A failed API call: the HTTP status and the server's one-sentence reason.</summary>
public sealed class TraceloopApiException(string message, HttpStatusCode? status = null, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>The node API over the recorder's Unix socket.</summary>
public sealed class TraceloopClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _socketPath;

    public TraceloopClient(string socketPath = TraceloopSocket.DefaultPath, TimeSpan? timeout = null)
    {
        _socketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The host name is never resolved: every connection goes to the socket.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://traceloop/"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
    }

    public Task<List<ContainerInfo>> GetContainersAsync(CancellationToken ct = default) =>
        GetJsonAsync("containers", TraceloopJson.Context.ListContainerInfo, ct);

    /// <summary>The recorded containers that match every filter given.</summary>
    public Task<List<ContainerInfo>> GetContainersAsync(ContainerQuery query, CancellationToken ct = default) =>
        GetJsonAsync("containers" + QueryString(
            ("namespace", query.Namespace), ("pod", query.Pod), ("container", query.Container), ("selector", query.Selector)),
            TraceloopJson.Context.ListContainerInfo, ct);

    public Task<HealthStatus> GetHealthAsync(CancellationToken ct = default) =>
        GetJsonAsync("healthz", TraceloopJson.Context.HealthStatus, ct);

    public Task<VersionInfo> GetVersionAsync(CancellationToken ct = default) =>
        GetJsonAsync("version", TraceloopJson.Context.VersionInfo, ct);

    /// <summary>The strace-like text dump of a container (id or unambiguous prefix).</summary>
    public async Task<string> GetDumpTextAsync(string id, int? last = null, CancellationToken ct = default)
    {
        using HttpResponseMessage response = await SendAsync(DumpPath(id, "text", last), ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The MessagePack dump, decoded.</summary>
    public async Task<(DumpHeader Header, List<TraceEventDto> Events)> GetDumpAsync(string id, int? last = null, CancellationToken ct = default)
    {
        using HttpResponseMessage response = await SendAsync(DumpPath(id, "msgpack", last), ct).ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return TraceloopMessagePack.ReadDump(body);
    }

    /// <summary>The JSON-lines dump, one event per line, decoded.</summary>
    public async Task<List<TraceEventDto>> GetDumpJsonAsync(string id, int? last = null, CancellationToken ct = default)
    {
        using HttpResponseMessage response = await SendAsync(DumpPath(id, "json", last), ct).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var events = new List<TraceEventDto>();
        foreach (string line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            events.Add(JsonSerializer.Deserialize(line, TraceloopJson.Context.TraceEventDto)
                ?? throw new TraceloopApiException("the recorder sent a null event"));
        }
        return events;
    }

    /// <summary>A container's dump in <paramref name="format"/> (text, json, msgpack), for reading as the server streams it.</summary>
    public Task<HttpResponseMessage> OpenDumpAsync(string id, string format, int? last = null, CancellationToken ct = default) =>
        SendAsync(DumpPath(id, format, last), ct);

    /// <summary>A pod's dump (each recorded container of it, or the one named), for reading as the server streams it.</summary>
    public Task<HttpResponseMessage> OpenPodDumpAsync(string ns, string pod, string? container, string format, int? last = null, CancellationToken ct = default) =>
        SendAsync($"pods/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(pod)}/dump"
            + QueryString(("container", container), ("format", format), ("last", last?.ToString(System.Globalization.CultureInfo.InvariantCulture))), ct);

    /// <summary>A pod's MessagePack dump, decoded: one header and its events per container.</summary>
    public async Task<List<(DumpHeader Header, List<TraceEventDto> Events)>> GetPodDumpAsync(string ns, string pod, string? container = null, int? last = null, CancellationToken ct = default)
    {
        using HttpResponseMessage response = await OpenPodDumpAsync(ns, pod, container, "msgpack", last, ct).ConfigureAwait(false);
        return TraceloopMessagePack.ReadDumps(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
    }

    /// <summary>A saved dump in <paramref name="format"/> (text, json, msgpack), for reading as the server streams it.</summary>
    public Task<HttpResponseMessage> OpenSavedDumpAsync(string id, string format, CancellationToken ct = default) =>
        SendAsync($"dumps/{Uri.EscapeDataString(id)}?format={Uri.EscapeDataString(format)}", ct);

    /// <summary>The dumps kept on disk (crash-triggered and manual), newest first.</summary>
    public Task<List<SavedDumpInfo>> GetSavedDumpsAsync(SavedDumpQuery? query = null, CancellationToken ct = default) =>
        GetJsonAsync("dumps" + QueryString(query), TraceloopJson.Context.ListSavedDumpInfo, ct);

    /// <summary>A saved dump in one of the dump formats (text, json, msgpack), as the server sends it.</summary>
    public async Task<byte[]> GetSavedDumpBytesAsync(string id, string format = "msgpack", CancellationToken ct = default)
    {
        using HttpResponseMessage response = await OpenSavedDumpAsync(id, format, ct).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
    }

    /// <summary>A saved dump, decoded.</summary>
    public async Task<(DumpHeader Header, List<TraceEventDto> Events)> GetSavedDumpAsync(string id, CancellationToken ct = default) =>
        TraceloopMessagePack.ReadDump(await GetSavedDumpBytesAsync(id, "msgpack", ct).ConfigureAwait(false));

    public async Task DeleteSavedDumpAsync(string id, CancellationToken ct = default)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Delete, $"dumps/{Uri.EscapeDataString(id)}", ct).ConfigureAwait(false);
    }

    /// <summary>Keeps a dump of a container now (trigger "manual").</summary>
    public async Task<SavedDumpInfo> SnapshotContainerAsync(string id, CancellationToken ct = default)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, $"containers/{Uri.EscapeDataString(id)}/snapshot", ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(TraceloopJson.Context.SavedDumpInfo, ct).ConfigureAwait(false)
            ?? throw new TraceloopApiException("the recorder answered the snapshot with null");
    }

    /// <summary>Keeps a dump of each of a pod's containers now, or of one when <paramref name="container"/> is given.</summary>
    public async Task<List<SavedDumpInfo>> SnapshotPodAsync(string ns, string pod, string? container = null, CancellationToken ct = default)
    {
        string path = $"pods/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(pod)}/snapshot"
            + (container is null ? "" : "?container=" + Uri.EscapeDataString(container));
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, path, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(TraceloopJson.Context.ListSavedDumpInfo, ct).ConfigureAwait(false)
            ?? throw new TraceloopApiException("the recorder answered the snapshot with null");
    }

    /// <summary>Sends a GET and returns the response when it succeeded; otherwise throws with the server's reason.</summary>
    public Task<HttpResponseMessage> SendAsync(string relativeUri, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, relativeUri, ct);

    /// <summary>
    /// How long in all a request waits out "503 busy, retry after N s" answers (the recorder's
    /// bound on dumps at once) before it gives up with the recorder's reason. Zero: never wait.
    /// </summary>
    public TimeSpan BusyRetryBudget { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest single wait, whatever Retry-After says.</summary>
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends a request without a body and returns the response when it succeeded; otherwise throws
    /// with the server's reason. A 503 with Retry-After is retried within <see cref="BusyRetryBudget"/>:
    /// the recorder refuses such a request before doing anything, so sending it again is safe.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relativeUri, CancellationToken ct = default)
    {
        TimeSpan waited = TimeSpan.Zero;
        while (true)
        {
            HttpResponseMessage response = await SendOnceAsync(method, relativeUri, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && RetryDelay(response) is { } delay && waited + delay <= BusyRetryBudget)
            {
                response.Dispose();
                await Task.Delay(delay, ct).ConfigureAwait(false);
                waited += delay;
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                string detail = await ReadErrorAsync(response, ct).ConfigureAwait(false);
                HttpStatusCode status = response.StatusCode;
                response.Dispose();
                if (waited > TimeSpan.Zero)
                {
                    detail += $" (still so after waiting {waited.TotalSeconds:0} s)";
                }
                throw new TraceloopApiException(detail, status);
            }
            return response;
        }
    }

    private static TimeSpan? RetryDelay(HttpResponseMessage response)
    {
        TimeSpan? after = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };
        if (after is not { } wait)
        {
            return null;
        }
        return wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, string relativeUri, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, relativeUri);
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException s)
        {
            throw new TraceloopApiException(s.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused =>
                    $"cannot connect to {_socketPath}: is the recorder running?",
                SocketError.AccessDenied =>
                    $"permission denied on {_socketPath}: run with sudo or join the socket's group (traceloop)",
                _ => $"cannot connect to {_socketPath}: {s.Message}",
            }, null, e);
        }
        return response;
    }

    private async Task<T> GetJsonAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        using HttpResponseMessage response = await SendAsync(path, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false)
            ?? throw new TraceloopApiException($"the recorder answered {path} with null");
    }

    private static string QueryString(SavedDumpQuery? query)
    {
        return query is null ? "" : QueryString(
            ("namespace", query.Namespace), ("pod", query.Pod), ("container", query.Container), ("trigger", query.Trigger),
            ("since", query.Since?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>"?a=1&amp;b=2" of the parameters that have a value, escaped; "" when none has.</summary>
    private static string QueryString(params (string Name, string? Value)[] parameters)
    {
        string[] parts = [.. parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!))];
        return parts.Length == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static string DumpPath(string id, string format, int? last) =>
        $"containers/{Uri.EscapeDataString(id)}/dump?format={format}" + (last is { } n ? $"&last={n}" : "");

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            if (JsonSerializer.Deserialize(body, TraceloopJson.Context.ApiError) is { } error)
            {
                return error.Detail ?? error.Title;
            }
        }
        catch (JsonException)
        {
        }
        return $"the recorder answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }

    public void Dispose() => _http.Dispose();
}
