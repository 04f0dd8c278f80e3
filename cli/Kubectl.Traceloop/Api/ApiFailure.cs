using System.Net;
using System.Text.Json;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Api;

/// <summary>
/// An error answer of the API server or the Traceloop gateway (a metav1.Status) as the one line
/// the user reads: who refused, and what to ask the cluster's admin for.
/// </summary>
internal static class ApiFailure
{
    public static PluginException FromStatus(HttpStatusCode status, ReadOnlySpan<byte> body, string what)
    {
        string detail = StatusMessage(body) ?? $"HTTP {(int)status}";
        string message = status switch
        {
            HttpStatusCode.Unauthorized => $"unauthorized: the API server rejected the kubeconfig's credentials: {detail}",
            HttpStatusCode.Forbidden => $"forbidden: cannot {what}: {detail}",
            HttpStatusCode.NotFound when IsDiscoveryMiss(detail) =>
                $"cannot {what}: the API server does not serve this {TraceloopApi.Group}/{TraceloopApi.Version} request; is Traceloop installed (APIService v1alpha1.traceloop.dev), and as new as this plugin?",
            HttpStatusCode.NotFound => $"not found: {detail}",
            HttpStatusCode.ServiceUnavailable =>
                $"cannot {what}: the Traceloop API is unavailable (is the traceloop-gateway running? kubectl get apiservice v1alpha1.traceloop.dev): {detail}",
            _ => $"cannot {what}: {detail}",
        };
        return new PluginException(message, ExitCode.Failed);
    }

    /// <summary>The message of a metav1.Status body, or the body's first line when it is not one.</summary>
    public static string? StatusMessage(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.String)
            {
                return message.GetString();
            }
        }
        catch (JsonException)
        {
        }
        string line = System.Text.Encoding.UTF8.GetString(body).Split('\n', 2)[0].Trim();
        return line.Length == 0 ? null : line.Length > 300 ? line[..300] + "..." : line;
    }

    // The API server's own 404 for a group it does not know, as opposed to the gateway's
    // "pod not recorded", which names the pod.
    private static bool IsDiscoveryMiss(string detail) =>
        detail.StartsWith("the server could not find the requested resource", StringComparison.Ordinal) || detail == "404 page not found";
}
