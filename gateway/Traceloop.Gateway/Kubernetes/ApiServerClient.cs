using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Traceloop.Cluster;

namespace Traceloop.Gateway.Kubernetes;

/// <summary>A node's agent: the DaemonSet pod that records there, and the address its cluster listener is on.</summary>
internal sealed record AgentPod(string Name, string Node, string Ip);

/// <summary>
/// The requests the gateway makes to the API server, as its own service account: the front-proxy
/// ConfigMap, a pod (for its node), the agent pods, SubjectAccessReviews, the issuer's three Secrets and its APIService's caBundle. Sent by
/// hand on one <see cref="KubernetesConnection"/> and read as JSON nodes, as the recorder does,
/// so the generated client and its models stay out of the binary.
/// </summary>
internal sealed class ApiServerClient(KubernetesConnection connection) : IDisposable
{
    private const int MaxBody = 4 * 1024 * 1024;

    /// <summary>The ConfigMap's data, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetConfigMapDataAsync(string ns, string name, CancellationToken ct)
    {
        JsonObject? map = await GetAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/configmaps/{Uri.EscapeDataString(name)}", ct).ConfigureAwait(false);
        return map?["data"] as JsonObject ?? (map is null ? null : new JsonObject());
    }

    /// <summary>The node a pod is scheduled on; null when the pod does not exist or is not scheduled.</summary>
    public async Task<string?> GetPodNodeAsync(string ns, string name, CancellationToken ct)
    {
        JsonObject? pod = await GetAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods/{Uri.EscapeDataString(name)}", ct).ConfigureAwait(false);
        return pod?["spec"]?["nodeName"] is JsonValue node && node.TryGetValue(out string? text) && text.Length > 0 ? text : null;
    }

    /// <summary>Running agent pods with an address, on <paramref name="node"/> or (null) on every node.</summary>
    public async Task<List<AgentPod>> ListAgentsAsync(string ns, string selector, string? node, CancellationToken ct)
    {
        string path = $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods?labelSelector={Uri.EscapeDataString(selector)}"
            + (node is null ? "" : "&fieldSelector=" + Uri.EscapeDataString("spec.nodeName=" + node));
        JsonObject list = await GetAsync(path, ct).ConfigureAwait(false)
            ?? throw new KubernetesRequestException(HttpStatusCode.NotFound, $"the agent namespace {ns} does not exist");
        var agents = new List<AgentPod>();
        foreach (JsonNode? item in list["items"] as JsonArray ?? [])
        {
            if (String(item?["status"]?["phase"]) == "Running" && String(item?["status"]?["podIP"]) is { Length: > 0 } ip
                && String(item?["spec"]?["nodeName"]) is { Length: > 0 } on && String(item?["metadata"]?["name"]) is { } name)
            {
                agents.Add(new AgentPod(name, on, ip));
            }
        }
        return agents;
    }

    /// <summary>POSTs a SubjectAccessReview and returns the server's answer (with its status).</summary>
    public async Task<JsonObject> ReviewAsync(JsonObject review, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(connection.BaseUri, "apis/authorization.k8s.io/v1/subjectaccessreviews"))
        {
            Content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage response = await connection.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        string body = await ReadAsync(response, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new KubernetesRequestException(response.StatusCode, $"the SubjectAccessReview was refused ({(int)response.StatusCode}): {Message(body)}");
        }
        return Parse(body);
    }

    /// <summary>A Secret's data (base64 decoded) and resource version; null when it does not exist.</summary>
    public async Task<(Dictionary<string, string> Data, string ResourceVersion)?> GetSecretAsync(string ns, string name, CancellationToken ct)
    {
        JsonObject? secret = await GetAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/secrets/{Uri.EscapeDataString(name)}", ct).ConfigureAwait(false);
        if (secret is null)
        {
            return null;
        }
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, JsonNode? value) in secret["data"] as JsonObject ?? [])
        {
            if (String(value) is { } encoded)
            {
                try
                {
                    data[key] = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                }
                catch (FormatException)
                {
                    throw new KubernetesRequestException(HttpStatusCode.BadGateway, $"Secret {ns}/{name} key {key} is not base64");
                }
            }
        }
        return (data, String(secret["metadata"]?["resourceVersion"]) ?? "");
    }

    /// <summary>
    /// Creates the Secret (empty <paramref name="resourceVersion"/>) or replaces it at that version;
    /// a conflict (someone else wrote it since) is a <see cref="KubernetesRequestException"/> with 409.
    /// </summary>
    public async Task PutSecretAsync(string ns, string name, string type, IReadOnlyDictionary<string, string> data, string resourceVersion, CancellationToken ct)
    {
        var encoded = new JsonObject();
        foreach ((string key, string value) in data)
        {
            encoded[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
        }
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "traceloop-gateway" } };
        if (resourceVersion.Length > 0)
        {
            metadata["resourceVersion"] = resourceVersion;
        }
        var secret = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = metadata, ["type"] = type, ["data"] = encoded };
        string collection = $"api/v1/namespaces/{Uri.EscapeDataString(ns)}/secrets";
        using var request = new HttpRequestMessage(resourceVersion.Length == 0 ? HttpMethod.Post : HttpMethod.Put,
            new Uri(connection.BaseUri, resourceVersion.Length == 0 ? collection : $"{collection}/{Uri.EscapeDataString(name)}"))
        {
            Content = new StringContent(secret.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage response = await connection.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string body = await ReadAsync(response, ct).ConfigureAwait(false);
            throw new KubernetesRequestException(response.StatusCode, $"writing Secret {ns}/{name} answered {(int)response.StatusCode}: {Message(body)}");
        }
    }

    /// <summary>
    /// Sets an APIService's spec.caBundle to <paramref name="caBundlePem"/> (GET, then PUT of the
    /// same object at its resourceVersion). False when it already held it; a missing APIService
    /// is a <see cref="KubernetesRequestException"/> with 404, a concurrent write one with 409.
    /// </summary>
    public async Task<bool> SetApiServiceCaBundleAsync(string name, string caBundlePem, CancellationToken ct)
    {
        string path = $"apis/apiregistration.k8s.io/v1/apiservices/{Uri.EscapeDataString(name)}";
        JsonObject service = await GetAsync(path, ct).ConfigureAwait(false)
            ?? throw new KubernetesRequestException(HttpStatusCode.NotFound, $"APIService {name} does not exist");
        string wanted = Convert.ToBase64String(Encoding.UTF8.GetBytes(caBundlePem));
        if (service["spec"] is not JsonObject spec)
        {
            throw new KubernetesRequestException(HttpStatusCode.BadGateway, $"APIService {name} has no spec");
        }
        if (String(spec["caBundle"]) == wanted)
        {
            return false;
        }
        spec["caBundle"] = wanted;
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(connection.BaseUri, path))
        {
            Content = new StringContent(service.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage response = await connection.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string body = await ReadAsync(response, ct).ConfigureAwait(false);
            throw new KubernetesRequestException(response.StatusCode, $"writing APIService {name} answered {(int)response.StatusCode}: {Message(body)}");
        }
        return true;
    }

    public void Dispose() => connection.Dispose();

    private async Task<JsonObject?> GetAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(connection.BaseUri, path));
        using HttpResponseMessage response = await connection.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        string body = await ReadAsync(response, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new KubernetesRequestException(response.StatusCode, $"GET /{path.Split('?')[0]} answered {(int)response.StatusCode}: {Message(body)}");
        }
        return Parse(body);
    }

    private static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > MaxBody)
        {
            throw new KubernetesRequestException(HttpStatusCode.BadGateway, $"the API server's answer is larger than {MaxBody} bytes");
        }
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    private static JsonObject Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new KubernetesRequestException(HttpStatusCode.BadGateway, "the API server answered with something other than an object");
        }
        catch (JsonException e)
        {
            throw new KubernetesRequestException(HttpStatusCode.BadGateway, $"the API server's answer is not JSON: {e.Message}");
        }
    }

    private static string Message(string body)
    {
        try
        {
            return String(JsonNode.Parse(body)?["message"]) ?? body;
        }
        catch (JsonException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }

    private static string? String(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}

/// <summary>A request to the API server failed: its status and a sentence for the log and the caller.</summary>
internal sealed class KubernetesRequestException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
