// The kube-apiserver's aggregation layer and authorizer, as an extension API server sees them
// (see the implemented/limits lists in ApiServerFixture.cs):
//   - ConfigMap kube-system/extension-apiserver-authentication with the front-proxy CA, the
//     allowed CN and the X-Remote-* header names, as kubeadm writes it.
//   - /apis/traceloop.dev/... from a user (bearer tokens of alice, bob, carol and admin) is forwarded
//     to the registered extension server with the front-proxy client certificate, X-Remote-User and
//     X-Remote-Group; the caller's own Authorization and X-Remote-* headers are dropped, as the
//     real proxy drops them. Without a registered server, or one that cannot be reached or whose
//     certificate is not trusted, it is 503, as for an unavailable APIService. The server is
//     trusted by a CA the test gives (RegisterAggregatedApi) or, as the real aggregator does, by
//     the stored APIService's caBundle and Service name (RegisterAggregatedService,
//     ApiServerFixture.ApiServices.cs).
//   - POST /apis/authorization.k8s.io/v1/subjectaccessreviews (by the service-account token)
//     answered from a small RBAC table: alice is traceloop-viewer in namespace shop, admin is
//     traceloop-admin cluster-wide, bob has no role, and carol has none of her own but is in group
//     shop-oncall, which is traceloop-viewer in shop (the review's spec.groups decides). Every review is kept for assertions.
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Traceloop.FunctionalTests.Kubernetes;

public sealed partial class ApiServerFixture
{
    public const string AggregatedGroup = "traceloop.dev";

    private static readonly Dictionary<string, string[]> Viewer = new(StringComparer.Ordinal)
    {
        ["pods"] = ["get", "list"],
        ["pods/dump"] = ["get"],
        ["crashdumps"] = ["get", "list"],
    };

    private static readonly Dictionary<string, string[]> Admin = new(StringComparer.Ordinal)
    {
        ["pods"] = ["get", "list"],
        ["pods/dump"] = ["get"],
        ["pods/snapshot"] = ["create"],
        ["crashdumps"] = ["get", "list", "delete"],
    };

    /// <summary>user → (namespace or "" for a cluster-wide binding, rules).</summary>
    private static readonly Dictionary<string, (string Namespace, Dictionary<string, string[]> Rules)[]> Bindings = new(StringComparer.Ordinal)
    {
        ["alice"] = [("shop", Viewer)],
        ["bob"] = [],
        ["admin"] = [("", Admin)],
        ["carol"] = [],
    };

    /// <summary>user → the group of <see cref="GroupBindings"/> the user is in (others are only in system:authenticated).</summary>
    private static readonly Dictionary<string, string> Membership = new(StringComparer.Ordinal)
    {
        ["carol"] = "shop-oncall",
    };

    /// <summary>group → (namespace or "" for a cluster-wide binding, rules).</summary>
    private static readonly Dictionary<string, (string Namespace, Dictionary<string, string[]> Rules)[]> GroupBindings = new(StringComparer.Ordinal)
    {
        ["shop-oncall"] = [("shop", Viewer)],
    };

    private readonly List<JsonObject> _reviews = [];
    private HttpClient? _aggregated;
    private Uri? _aggregatedUrl;

    /// <summary>The users the fixture authenticates on aggregated paths: alice, bob, admin, carol.</summary>
    public static IReadOnlyList<string> Users => [.. Bindings.Keys];

    /// <summary>The SubjectAccessReviews answered so far.</summary>
    public IReadOnlyList<JsonObject> Reviews
    {
        get
        {
            lock (_gate)
            {
                return [.. _reviews];
            }
        }
    }

    /// <summary>A user's bearer token, which the fixture maps back to the user.</summary>
    public static string UserToken(string user) => "user-token-" + user;

    /// <summary>Forwards /apis/traceloop.dev/... to the extension server at <paramref name="server"/>, trusting its certificate by <paramref name="serverCa"/>.</summary>
    public void RegisterAggregatedApi(Uri server, System.Security.Cryptography.X509Certificates.X509Certificate2 serverCa)
    {
        SocketsHttpHandler handler = TestCertificates.CreateTrustingHandler(serverCa);
        handler.SslOptions.ClientCertificates = [_certificates.FrontProxyClient];
        _aggregated = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
        _aggregatedUrl = server;
    }

    /// <summary>An HttpClient that calls this server as <paramref name="user"/>.</summary>
    public HttpClient CreateUserClient(string user) => CreateClient(UserToken(user));

    private static bool IsAggregated(string path) =>
        path.StartsWith("/apis/" + AggregatedGroup + "/", StringComparison.Ordinal) || path == "/apis/" + AggregatedGroup;

    private void MapAggregation(WebApplication app)
    {
        app.MapGet("/api/v1/namespaces/{ns}/configmaps/{name}", GetConfigMapAsync);
        app.MapPost("/apis/authorization.k8s.io/v1/subjectaccessreviews", ReviewAsync);
    }

    private async Task GetConfigMapAsync(HttpContext context)
    {
        string ns = (string)context.Request.RouteValues["ns"]!, name = (string)context.Request.RouteValues["name"]!;
        if (ns != "kube-system" || name != "extension-apiserver-authentication")
        {
            await WriteAsync(context, 404, ApiStatus.Failure(404, "NotFound", $"configmaps \"{name}\" not found"));
            return;
        }
        await WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = "ConfigMap",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["data"] = new JsonObject
            {
                ["requestheader-client-ca-file"] = _certificates.FrontProxyCa.ExportCertificatePem(),
                ["requestheader-allowed-names"] = $"[\"{TestCertificates.FrontProxyName}\"]",
                ["requestheader-username-headers"] = "[\"X-Remote-User\"]",
                ["requestheader-group-headers"] = "[\"X-Remote-Group\"]",
                ["requestheader-extra-headers-prefix"] = "[\"X-Remote-Extra-\"]",
            },
        });
    }

    private async Task ReviewAsync(HttpContext context)
    {
        JsonObject? review;
        try
        {
            review = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
        }
        catch (JsonException e)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", $"the request body is not JSON: {e.Message}"));
            return;
        }
        JsonNode? spec = review?["spec"];
        JsonNode? attributes = spec?["resourceAttributes"];
        if (review is null || spec?["user"] is null || attributes is null)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", "spec.user and spec.resourceAttributes are required"));
            return;
        }
        lock (_gate)
        {
            _reviews.Add((JsonObject)review.DeepClone());
        }
        string user = (string)spec["user"]!;
        string group = (string?)attributes["group"] ?? "", verb = (string?)attributes["verb"] ?? "", ns = (string?)attributes["namespace"] ?? "";
        string resource = (string?)attributes["resource"] ?? "";
        if ((string?)attributes["subresource"] is { Length: > 0 } sub)
        {
            resource += "/" + sub;
        }
        string[] groups = spec["groups"] is JsonArray g ? [.. g.Select(n => (string?)n).OfType<string>()] : [];
        var bindings = (Bindings.TryGetValue(user, out var own) ? own : [])
            .Concat(groups.SelectMany(name => GroupBindings.TryGetValue(name, out var bound) ? bound : []));
        bool allowed = group == AggregatedGroup
            && bindings.Any(b => (b.Namespace.Length == 0 || b.Namespace == ns) && b.Rules.TryGetValue(resource, out string[]? verbs) && verbs.Contains(verb));
        review["status"] = allowed
            ? new JsonObject { ["allowed"] = true, ["reason"] = $"RBAC: allowed by the fixture's table for \"{user}\"" }
            : new JsonObject { ["allowed"] = false };
        await WriteAsync(context, 201, review);
    }

    /// <summary>As the aggregator's proxy handler: the user is authenticated here and named to the extension server in headers.</summary>
    private async Task ProxyAsync(HttpContext context)
    {
        string? authorization = context.Request.Headers.Authorization;
        string? user = Users.FirstOrDefault(u => authorization == "Bearer " + UserToken(u));
        if (user is null)
        {
            await WriteAsync(context, 401, ApiStatus.Failure(401, "Unauthorized", "Unauthorized"));
            return;
        }
        if (_aggregated is null || _aggregatedUrl is null)
        {
            await WriteAsync(context, 503, ApiStatus.Failure(503, "ServiceUnavailable", "the server is currently unable to handle the request"));
            return;
        }
        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method),
            new Uri(_aggregatedUrl, context.Request.Path.Value + context.Request.QueryString.Value));
        forward.Headers.Add("X-Remote-User", user);
        // The real proxy sends one header line per group, with system:authenticated last. HttpClient
        // would join several values into one line, which a receiver must not split (a group name may
        // hold a comma), so a user in a group of the table is forwarded with that group alone; the
        // gateway's reading of repeated lines is covered by FrontProxyAuthenticatorTests.
        forward.Headers.Add("X-Remote-Group", Membership.GetValueOrDefault(user, "system:authenticated"));
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            forward.Content = new StreamContent(context.Request.Body);
        }
        HttpResponseMessage answer;
        try
        {
            answer = await _aggregated.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            // As the aggregator answers when the extension server cannot be reached or trusted.
            await WriteAsync(context, 503, ApiStatus.Failure(503, "ServiceUnavailable", $"error trying to reach service: {e.InnerException?.Message ?? e.Message}"));
            return;
        }
        using HttpResponseMessage disposeAnswer = answer;
        SetStatus(context, (int)answer.StatusCode);
        if (answer.Content.Headers.ContentType is { } type)
        {
            context.Response.ContentType = type.ToString();
        }
        if (answer.Headers.RetryAfter is { } retry)
        {
            context.Response.Headers.RetryAfter = retry.ToString();
        }
        await using Stream body = await answer.Content.ReadAsStreamAsync(context.RequestAborted);
        await body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
