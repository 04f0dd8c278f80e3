using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traceloop.Gateway.Authorization;

namespace Traceloop.Gateway.Http;

/// <summary>
/// API discovery, as the aggregation layer and kubectl read it: the group, its one version and the
/// resources with their verbs (what the roles grant). Served to any authenticated user, as the
/// kube-apiserver serves its own discovery.
/// </summary>
internal static class DiscoveryEndpoints
{
    public static IEndpointRouteBuilder MapDiscoveryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/apis", context => KubeStatus.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray(Group()),
        }));
        app.MapGet("/apis/" + ResourceAccess.Group, context => KubeStatus.WriteJsonAsync(context, 200, Group()));
        app.MapGet($"/apis/{ResourceAccess.Group}/{ResourceAccess.Version}", context => KubeStatus.WriteJsonAsync(context, 200, ResourceList()));
        return app;
    }

    public static JsonObject ResourceList() => new()
    {
        ["kind"] = "APIResourceList",
        ["apiVersion"] = "v1",
        ["groupVersion"] = ListEnvelope.ApiVersion,
        ["resources"] = new JsonArray(
            Resource("pods", "RecordedContainerList", "get", "list"),
            Resource("pods/dump", "Dump", "get"),
            Resource("pods/snapshot", "CrashDumpList", "create"),
            Resource("crashdumps", "CrashDump", "get", "list", "delete")),
    };

    private static JsonObject Group()
    {
        JsonObject Version() => new() { ["groupVersion"] = ListEnvelope.ApiVersion, ["version"] = ResourceAccess.Version };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = ResourceAccess.Group,
            ["versions"] = new JsonArray(Version()),
            ["preferredVersion"] = Version(),
        };
    }

    private static JsonObject Resource(string name, string kind, params string[] verbs) => new()
    {
        ["name"] = name,
        ["singularName"] = "",
        ["namespaced"] = true,
        ["kind"] = kind,
        ["verbs"] = new JsonArray([.. verbs.Select(v => (JsonNode)v)]),
    };
}
