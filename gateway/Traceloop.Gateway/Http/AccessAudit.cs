using Microsoft.Extensions.Logging;

namespace Traceloop.Gateway.Http;

/// <summary>
/// The audit trail: one line per cluster-facing request, under a fixed event id so a log pipeline
/// can pick them out, naming who did what to which pod or dump, how much was served and the outcome.
/// </summary>
internal static partial class AccessAudit
{
    public const int EventId = 1;

    [LoggerMessage(EventId = EventId, EventName = "Access", Level = LogLevel.Information,
        Message = "access user={User} groups={Groups} verb={Verb} resource={Resource} namespace={Namespace} name={Name} status={Status} result={Result} bytes={Bytes} durationMs={DurationMs} path={Path}")]
    public static partial void Log(ILogger logger, string user, string groups, string verb, string resource, string @namespace, string name,
        int status, string result, long bytes, long durationMs, string path);
}
