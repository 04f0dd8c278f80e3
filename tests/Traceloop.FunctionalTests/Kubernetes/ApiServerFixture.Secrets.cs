// Secrets, for the gateway's certificate issuer: get, create and replace (with the
// resourceVersion check the real server makes: a stale one is 409 Conflict), kept in memory.
// No list, watch, patch or delete; no immutable Secrets; data is stored as sent (base64).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Traceloop.FunctionalTests.Kubernetes;

public sealed partial class ApiServerFixture
{
    private readonly Dictionary<(string Namespace, string Name), JsonObject> _secrets = [];
    private long _secretVersion = 1000;

    /// <summary>A Secret's data, decoded; null when it does not exist.</summary>
    public Dictionary<string, string>? SecretData(string ns, string name)
    {
        lock (_gate)
        {
            if (!_secrets.TryGetValue((ns, name), out JsonObject? secret))
            {
                return null;
            }
            return (secret["data"] as JsonObject ?? []).ToDictionary(kv => kv.Key,
                kv => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)kv.Value!)), StringComparer.Ordinal);
        }
    }

    private void MapSecrets(WebApplication app)
    {
        app.MapGet("/api/v1/namespaces/{ns}/secrets/{name}", async context =>
        {
            JsonObject? secret;
            lock (_gate)
            {
                secret = _secrets.GetValueOrDefault(((string)context.Request.RouteValues["ns"]!, (string)context.Request.RouteValues["name"]!))?.DeepClone().AsObject();
            }
            await (secret is null ? WriteAsync(context, 404, SecretNotFound(context)) : WriteAsync(context, 200, secret));
        });
        app.MapPost("/api/v1/namespaces/{ns}/secrets", context => StoreSecretAsync(context, create: true));
        app.MapPut("/api/v1/namespaces/{ns}/secrets/{name}", context => StoreSecretAsync(context, create: false));
    }

    private async Task StoreSecretAsync(HttpContext context, bool create)
    {
        string ns = (string)context.Request.RouteValues["ns"]!;
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
        }
        catch (JsonException e)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", $"the request body is not JSON: {e.Message}"));
            return;
        }
        string? name = (string?)body?["metadata"]?["name"];
        if (body is null || name is null || (!create && name != (string)context.Request.RouteValues["name"]!))
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", "metadata.name is required and must match the path"));
            return;
        }
        int status;
        JsonObject answer;
        lock (_gate)
        {
            bool exists = _secrets.TryGetValue((ns, name), out JsonObject? stored);
            string? given = (string?)body["metadata"]!["resourceVersion"];
            if (create && exists)
            {
                (status, answer) = (409, ApiStatus.Failure(409, "AlreadyExists", $"secrets \"{name}\" already exists"));
            }
            else if (!create && !exists)
            {
                (status, answer) = (404, ApiStatus.Failure(404, "NotFound", $"secrets \"{name}\" not found"));
            }
            else if (!create && given != (string?)stored!["metadata"]!["resourceVersion"])
            {
                (status, answer) = (409, ApiStatus.Failure(409, "Conflict",
                    $"Operation cannot be fulfilled on secrets \"{name}\": the object has been modified; please apply your changes to the latest version and try again"));
            }
            else
            {
                body["metadata"]!["namespace"] = ns;
                body["metadata"]!["resourceVersion"] = (++_secretVersion).ToString(CultureInfo.InvariantCulture);
                _secrets[(ns, name)] = body;
                (status, answer) = (create ? 201 : 200, body.DeepClone().AsObject());
            }
        }
        await WriteAsync(context, status, answer);
    }

    private static JsonObject SecretNotFound(HttpContext context) =>
        ApiStatus.Failure(404, "NotFound", $"secrets \"{context.Request.RouteValues["name"]}\" not found");
}
