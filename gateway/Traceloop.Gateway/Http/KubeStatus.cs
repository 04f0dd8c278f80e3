using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Traceloop.Gateway.Http;

/// <summary>Errors as the API server writes them: a v1 Status object, which kubectl and client-go print as the message.</summary>
internal static class KubeStatus
{
    public static JsonObject Failure(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    /// <summary>The Status reason Kubernetes uses for an HTTP status.</summary>
    public static string Reason(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };

    public static Task WriteAsync(HttpContext context, int code, string message) =>
        WriteJsonAsync(context, code, Failure(code, Reason(code), message));

    public static async Task WriteJsonAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
