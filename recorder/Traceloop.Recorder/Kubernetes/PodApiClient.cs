using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s;
using Traceloop.Cluster;
using k8s.Models;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// The requests the watcher makes: list this node's pods, and watch them from a resource
/// version. Both are sent by hand on one <see cref="KubernetesConnection"/> (KubernetesClient.Aot
/// leaves out the Watcher, and its generated client costs the node daemon tens of megabytes);
/// the pods are read into <see cref="Pod"/>, the part of the schema the recorder uses.
/// </summary>
internal sealed class PodApiClient : IDisposable
{
    private const int MaxErrorBody = 64 * 1024;
    private readonly KubernetesConnection _connection;
    private readonly string _fieldSelector;

    public PodApiClient(KubernetesClientConfiguration config, string nodeName)
    {
        _connection = new KubernetesConnection(config);
        _fieldSelector = "spec.nodeName=" + nodeName;
    }

    public Uri Server => _connection.BaseUri;

    /// <param name="resourceVersion">"0" lets the server answer from its watch cache (cheap, maybe slightly stale); "" asks for a consistent read.</param>
    public async Task<(IReadOnlyList<Pod> Pods, string ResourceVersion)> ListAsync(string resourceVersion, CancellationToken ct)
    {
        string query = "api/v1/pods?fieldSelector=" + Uri.EscapeDataString(_fieldSelector)
            + (resourceVersion.Length == 0 ? "" : "&resourceVersion=" + Uri.EscapeDataString(resourceVersion));
        using HttpResponseMessage response = await SendAsync(query, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw FromStatus(response.StatusCode, await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false));
        }
        using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        PodList list = await JsonSerializer.DeserializeAsync(body, PodJsonContext.Default.PodList, ct).ConfigureAwait(false)
            ?? throw new JsonException("the API server answered the pod list with an empty body");
        return ((IReadOnlyList<Pod>?)list.Items?.ToList() ?? [], list.Metadata?.ResourceVersion ?? "");
    }

    /// <summary>Opens a watch; returns once the server has answered 200, before any event.</summary>
    public async Task<PodWatchStream> WatchAsync(string resourceVersion, TimeSpan timeout, CancellationToken ct)
    {
        string query = string.Create(CultureInfo.InvariantCulture,
            $"api/v1/pods?fieldSelector={Uri.EscapeDataString(_fieldSelector)}&watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}&timeoutSeconds={(int)timeout.TotalSeconds}");
        HttpResponseMessage response = await SendAsync(query, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                throw FromStatus(response.StatusCode, await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false));
            }
            Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new PodWatchStream(response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates an Event (POST /api/v1/namespaces/{ns}/events) on the same connection and
    /// credentials. The body is KubernetesClient's <see cref="Corev1Event"/> model, written by a
    /// context of its own (<see cref="EventJsonContext"/>) so that only the Event's types are rooted.
    /// </summary>
    public async Task CreateEventAsync(Corev1Event ev, CancellationToken ct)
    {
        string ns = ev.Metadata?.NamespaceProperty ?? throw new ArgumentException("the event has no namespace", nameof(ev));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_connection.BaseUri, $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/events"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(ev, EventJsonContext.Default.Corev1Event))
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
            },
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using HttpResponseMessage response = await _connection.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw FromStatus(response.StatusCode, await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false));
        }
    }

    public void Dispose() => _connection.Dispose();

    private async Task<HttpResponseMessage> SendAsync(string relativeUri, HttpCompletionOption completion, CancellationToken ct)
    {
        // HTTP/2 when the server offers it: the watch then shares one connection and is pinged.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_connection.BaseUri, relativeUri))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await _connection.SendAsync(request, completion, ct).ConfigureAwait(false);
    }

    /// <summary>The API server explains a refusal in a Status object; its message says what RBAC rule is missing.</summary>
    internal static KubernetesApiException FromStatus(HttpStatusCode status, string? body)
    {
        string? reason = null;
        string message = string.IsNullOrWhiteSpace(body) ? status.ToString() : body.Trim();
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body ?? "");
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                reason = StringOf(doc.RootElement, "reason");
                message = StringOf(doc.RootElement, "message") ?? message;
            }
        }
        catch (JsonException)
        {
            // Not a Status (a proxy's HTML page): the text itself is the best explanation.
        }
        if (message.Length > 500)
        {
            message = message[..500] + "…";
        }
        return new KubernetesApiException(status, reason, message);
    }

    internal static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        using Stream stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[MaxErrorBody];
        int total = 0;
        int n;
        while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0)
        {
            total += n;
        }
        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }
}
