// APIServices, for the gateway's issuer: get and replace (with the resourceVersion check the real
// server makes: a stale one is 409 Conflict), kept in memory; a test adds one as `kubectl apply`
// of deploy/base/apiservice.yaml would. RegisterAggregatedService forwards the aggregated group as
// the real aggregator does for such an APIService: the extension server's certificate must chain
// to the APIService's spec.caBundle as it is at each connection and name the Service
// ({name}.{namespace}.svc), whatever address the test's server is really on.
// No create, list, watch, patch or delete through HTTP; no status (Available) conditions.
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Traceloop.FunctionalTests.Kubernetes;

public sealed partial class ApiServerFixture
{
    private readonly Dictionary<string, JsonObject> _apiServices = new(StringComparer.Ordinal);
    private long _apiServiceVersion = 5000;

    /// <summary>Adds APIService <paramref name="name"/> for Service <paramref name="serviceNamespace"/>/<paramref name="serviceName"/>, with no caBundle.</summary>
    public void AddApiService(string name, string serviceNamespace, string serviceName)
    {
        string[] versionAndGroup = name.Split('.', 2);
        lock (_gate)
        {
            _apiServices[name] = new JsonObject
            {
                ["apiVersion"] = "apiregistration.k8s.io/v1",
                ["kind"] = "APIService",
                ["metadata"] = new JsonObject { ["name"] = name, ["resourceVersion"] = (++_apiServiceVersion).ToString(CultureInfo.InvariantCulture) },
                ["spec"] = new JsonObject
                {
                    ["group"] = versionAndGroup[1],
                    ["version"] = versionAndGroup[0],
                    ["service"] = new JsonObject { ["namespace"] = serviceNamespace, ["name"] = serviceName, ["port"] = 443 },
                    ["groupPriorityMinimum"] = 1000,
                    ["versionPriority"] = 15,
                },
            };
        }
    }

    /// <summary>The APIService's spec.caBundle, decoded (PEM); null when it or its caBundle does not exist.</summary>
    public string? ApiServiceCaBundle(string name)
    {
        lock (_gate)
        {
            return _apiServices.TryGetValue(name, out JsonObject? service) && (string?)service["spec"]?["caBundle"] is { Length: > 0 } bundle
                ? Encoding.UTF8.GetString(Convert.FromBase64String(bundle))
                : null;
        }
    }

    /// <summary>
    /// Forwards /apis/traceloop.dev/... to <paramref name="server"/> as the extension server behind
    /// APIService <paramref name="apiService"/>, checking its certificate as the real aggregator does.
    /// </summary>
    public void RegisterAggregatedService(Uri server, string apiService)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [_certificates.FrontProxyClient];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => TrustedByApiService(apiService, certificate);
        _aggregated = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
        _aggregatedUrl = server;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to the APIService's caBundle and names its Service.</summary>
    public bool TrustedByApiService(string apiService, X509Certificate? certificate)
    {
        string? bundle = ApiServiceCaBundle(apiService);
        string? host;
        lock (_gate)
        {
            JsonNode? service = _apiServices.GetValueOrDefault(apiService)?["spec"]?["service"];
            host = service is null ? null : $"{(string?)service["name"]}.{(string?)service["namespace"]}.svc";
        }
        if (certificate is null || bundle is null || host is null)
        {
            return false;
        }
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(bundle);
        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        return chain.Build(leaf) && leaf.MatchesHostname(host);
    }

    private void MapApiServices(WebApplication app)
    {
        app.MapGet("/apis/apiregistration.k8s.io/v1/apiservices/{name}", async context =>
        {
            string name = (string)context.Request.RouteValues["name"]!;
            JsonObject? service;
            lock (_gate)
            {
                service = _apiServices.GetValueOrDefault(name)?.DeepClone().AsObject();
            }
            await (service is null ? WriteAsync(context, 404, ApiServiceNotFound(name)) : WriteAsync(context, 200, service));
        });
        app.MapPut("/apis/apiregistration.k8s.io/v1/apiservices/{name}", ReplaceApiServiceAsync);
    }

    private async Task ReplaceApiServiceAsync(HttpContext context)
    {
        string name = (string)context.Request.RouteValues["name"]!;
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
        if (body is null || (string?)body["metadata"]?["name"] != name || body["spec"] is not JsonObject)
        {
            await WriteAsync(context, 400, ApiStatus.Failure(400, "BadRequest", "metadata.name must match the path, and spec is required"));
            return;
        }
        int status;
        JsonObject answer;
        lock (_gate)
        {
            if (!_apiServices.TryGetValue(name, out JsonObject? stored))
            {
                (status, answer) = (404, ApiServiceNotFound(name));
            }
            else if ((string?)body["metadata"]!["resourceVersion"] != (string?)stored["metadata"]!["resourceVersion"])
            {
                (status, answer) = (409, ApiStatus.Failure(409, "Conflict",
                    $"Operation cannot be fulfilled on apiservices.apiregistration.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again"));
            }
            else
            {
                body["metadata"]!["resourceVersion"] = (++_apiServiceVersion).ToString(CultureInfo.InvariantCulture);
                _apiServices[name] = body;
                (status, answer) = (200, body.DeepClone().AsObject());
            }
        }
        await WriteAsync(context, status, answer);
    }

    private static JsonObject ApiServiceNotFound(string name) =>
        ApiStatus.Failure(404, "NotFound", $"apiservices.apiregistration.k8s.io \"{name}\" not found");
}
