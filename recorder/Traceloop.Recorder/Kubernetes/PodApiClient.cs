using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// The two requests the watcher makes: list this node's pods, and watch them from a resource
/// version. The list is KubernetesClient's generated call; the watch is sent by hand on the
/// same HttpClient (same TLS trust and credentials) because KubernetesClient.Aot leaves out the
/// Watcher, and the generated call would read the stream as one PodList.
/// </summary>
internal sealed class PodApiClient : IDisposable
{
    private const int MaxErrorBody = 64 * 1024;
    private readonly k8s.Kubernetes _client;
    private readonly string _fieldSelector;

    public PodApiClient(KubernetesClientConfiguration config, string nodeName)
    {
        _client = new k8s.Kubernetes(config);
        _fieldSelector = "spec.nodeName=" + nodeName;
    }

    public Uri Server => _client.BaseUri;

    /// <param name="resourceVersion">"0" lets the server answer from its watch cache (cheap, maybe slightly stale); "" asks for a consistent read.</param>
    public async Task<(IReadOnlyList<V1Pod> Pods, string ResourceVersion)> ListAsync(string resourceVersion, CancellationToken ct)
    {
        try
        {
            using HttpOperationResponse<V1PodList> response = await _client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(
                fieldSelector: _fieldSelector,
                resourceVersion: resourceVersion.Length == 0 ? null : resourceVersion,
                cancellationToken: ct).ConfigureAwait(false);
            V1PodList list = response.Body ?? throw new JsonException("the API server answered the pod list with an empty body");
            return ((IReadOnlyList<V1Pod>?)list.Items?.ToList() ?? [], list.Metadata?.ResourceVersion ?? "");
        }
        catch (HttpOperationException e) when (e.Response is not null)
        {
            throw FromStatus(e.Response.StatusCode, e.Response.Content);
        }
    }

    /// <summary>Opens a watch; returns once the server has answered 200, before any event.</summary>
    public async Task<PodWatchStream> WatchAsync(string resourceVersion, TimeSpan timeout, CancellationToken ct)
    {
        string query = string.Create(CultureInfo.InvariantCulture,
            $"api/v1/pods?fieldSelector={Uri.EscapeDataString(_fieldSelector)}&watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}&timeoutSeconds={(int)timeout.TotalSeconds}");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_client.BaseUri, query))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, ct).ConfigureAwait(false);
        }
        HttpResponseMessage response = await _client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
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
    /// Creates an Event (POST /api/v1/namespaces/{ns}/events), sent by hand like the watch so
    /// that it needs nothing from the generated operations: KubernetesClient's Corev1Event model
    /// and its JSON, the same HttpClient and credentials.
    /// </summary>
    public async Task CreateEventAsync(Corev1Event ev, CancellationToken ct)
    {
        string ns = ev.Metadata?.NamespaceProperty ?? throw new ArgumentException("the event has no namespace", nameof(ev));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_client.BaseUri, $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/events"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new StringContent(KubernetesJson.Serialize(ev), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, ct).ConfigureAwait(false);
        }
        using HttpResponseMessage response = await _client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw FromStatus(response.StatusCode, await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false));
        }
    }

    public void Dispose() => _client.Dispose();

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
