using System.Text.Json.Nodes;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>The Status object the API server sends with a refusal, and inside an ERROR watch event.</summary>
public static class ApiStatus
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        if (details is not null)
        {
            status["details"] = details;
        }
        return status;
    }

    public static JsonObject Gone(long requested, long oldest) =>
        // The watch cache's wording (staging/src/k8s.io/apiserver/pkg/storage/cacher).
        Failure(410, "Expired", $"too old resource version: {requested} ({oldest})");
}
