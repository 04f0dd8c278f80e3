using System.Text.Json.Nodes;
using Traceloop.Gateway.Authentication;

namespace Traceloop.Gateway.Authorization;

/// <summary>The SubjectAccessReview a request is decided by, and the refusal a user reads when it is denied.</summary>
internal static class AccessReview
{
    /// <summary>The review for <paramref name="identity"/> doing <paramref name="access"/>, as the API server's own authorizer would see it.</summary>
    public static JsonObject Build(RequestIdentity identity, ResourceAccess access)
    {
        var attributes = new JsonObject
        {
            ["group"] = ResourceAccess.Group,
            ["version"] = ResourceAccess.Version,
            ["resource"] = access.Resource,
            ["verb"] = access.Verb,
        };
        if (access.Subresource is not null)
        {
            attributes["subresource"] = access.Subresource;
        }
        if (access.Namespace.Length > 0)
        {
            attributes["namespace"] = access.Namespace;
        }
        if (access.Name is not null)
        {
            attributes["name"] = access.Name;
        }
        var extra = new JsonObject();
        foreach ((string key, IReadOnlyList<string> values) in identity.Extra)
        {
            extra[key] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
        }
        return new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["spec"] = new JsonObject
            {
                ["user"] = identity.User,
                ["groups"] = new JsonArray([.. identity.Groups.Select(g => (JsonNode)g)]),
                ["extra"] = extra,
                ["resourceAttributes"] = attributes,
            },
        };
    }

    /// <summary>status.allowed (false when absent), and status.reason or evaluationError for the refusal.</summary>
    public static (bool Allowed, string? Reason) Read(JsonObject answer)
    {
        JsonNode? status = answer["status"];
        bool allowed = status?["allowed"] is JsonValue a && a.TryGetValue(out bool yes) && yes;
        bool denied = status?["denied"] is JsonValue d && d.TryGetValue(out bool no) && no;
        string? reason = status?["reason"] is JsonValue r && r.TryGetValue(out string? text) && text.Length > 0 ? text
            : status?["evaluationError"] is JsonValue e && e.TryGetValue(out string? error) && error.Length > 0 ? error : null;
        return (allowed && !denied, reason);
    }

    /// <summary>
    /// The kube-apiserver's wording (apiserver/pkg/endpoints/handlers/responsewriters.forbiddenMessage),
    /// so a user reads the same sentence as for a built-in resource and knows which rule is missing.
    /// </summary>
    public static string ForbiddenMessage(RequestIdentity identity, ResourceAccess access, string? reason)
    {
        string qualified = access.Resource + "." + ResourceAccess.Group;
        string what = access.Name is null ? qualified : $"{qualified} \"{access.Name}\"";
        string scope = access.Namespace.Length == 0 ? "at the cluster scope" : $"in the namespace \"{access.Namespace}\"";
        string message = $"{what} is forbidden: User \"{identity.User}\" cannot {access.Verb} resource \"{access.FullResource}\" in API group \"{ResourceAccess.Group}\" {scope}";
        return reason is null ? message : $"{message}: {reason}";
    }
}
