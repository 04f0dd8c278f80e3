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
    public const string DefaultSocketPath = "/run/traceloop/traceloop.sock";

    private readonly HttpClient _http;
    private readonly string _socketPath;

    public TraceloopClient(string socketPath = DefaultSocketPath, TimeSpan? timeout = null)
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

    /// <summary>Sends a GET and returns the response when it succeeded; otherwise throws with the server's reason.</summary>
    public async Task<HttpResponseMessage> SendAsync(string relativeUri, CancellationToken ct = default)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(relativeUri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
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
        if (!response.IsSuccessStatusCode)
        {
            string detail = await ReadErrorAsync(response, ct).ConfigureAwait(false);
            HttpStatusCode status = response.StatusCode;
            response.Dispose();
            throw new TraceloopApiException(detail, status);
        }
        return response;
    }

    private async Task<T> GetJsonAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        using HttpResponseMessage response = await SendAsync(path, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false)
            ?? throw new TraceloopApiException($"the recorder answered {path} with null");
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
