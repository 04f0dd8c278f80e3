using System.Net;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// The API server refused a request, as an HTTP status or as an ERROR event in a watch; the
/// reason and message are those of the Status object it sent, when it sent one.
/// </summary>
internal sealed class KubernetesApiException(HttpStatusCode status, string? reason, string message)
    : Exception($"{(int)status} {reason ?? status.ToString()}: {message}")
{
    public HttpStatusCode Status { get; } = status;

    public string? Reason { get; } = reason;

    public string ServerMessage { get; } = message;

    /// <summary>The resource version asked for is older than the server's history: only a fresh list can continue.</summary>
    public bool IsGone => Status == HttpStatusCode.Gone;
}
