using Microsoft.Extensions.Logging;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>The Kubernetes area's log messages (event ids 400-499).</summary>
internal static partial class PodWatcherLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "Kubernetes: local mode (not in a pod, no --kubeconfig or KUBECONFIG): pod metadata is off")]
    public static partial void LocalMode(ILogger logger);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Kubernetes: watching the pods of node {Node} at {Server}, as the {Source}")]
    public static partial void Starting(ILogger logger, string node, Uri server, string source);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "Listed {Count} pods of node {Node} at resource version {ResourceVersion}")]
    public static partial void Listed(ILogger logger, int count, string node, string resourceVersion);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning,
        Message = "The pod watch from resource version {ResourceVersion} expired (410 Gone: {Message}); listing again")]
    public static partial void Gone(ILogger logger, string resourceVersion, string message);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error,
        Message = "The API server refused the recorder's credentials (401 Unauthorized: {Message}); check the service account token or the kubeconfig user. Retrying in {Delay}")]
    public static partial void Unauthorized(ILogger logger, string message, TimeSpan delay);

    [LoggerMessage(EventId = 405, Level = LogLevel.Error,
        Message = "The API server forbids listing or watching pods (403 Forbidden: {Message}); the recorder's service account needs get, list and watch on pods. Retrying in {Delay}")]
    public static partial void Forbidden(ILogger logger, string message, TimeSpan delay);

    [LoggerMessage(EventId = 406, Level = LogLevel.Warning,
        Message = "The pod {Request} failed ({Error}); retrying in {Delay} from resource version {ResourceVersion}")]
    public static partial void Failed(ILogger logger, string request, string error, TimeSpan delay, string resourceVersion);

    [LoggerMessage(EventId = 407, Level = LogLevel.Information,
        Message = "Reconnected to the API server after {Failures} failed attempts; resuming from resource version {ResourceVersion}")]
    public static partial void Reconnected(ILogger logger, int failures, string resourceVersion);

    [LoggerMessage(EventId = 408, Level = LogLevel.Debug, Message = "The API server ended the pod watch at resource version {ResourceVersion}; watching again")]
    public static partial void WatchEnded(ILogger logger, string resourceVersion);

    [LoggerMessage(EventId = 409, Level = LogLevel.Error, Message = "A pod change handler failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "Ignored a pod without uid, name or namespace in a {What}")]
    public static partial void UnusablePod(ILogger logger, string what);
}
