using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Traceloop.Gateway.Authentication;
using Traceloop.Gateway.Authorization;
using Traceloop.Gateway.Routing;

namespace Traceloop.Gateway.Http;

/// <summary>
/// The list answers: the agents' items merged, and for a cluster-wide list only those in
/// namespaces the user may list, with the count of namespaces that had items but were hidden.
/// </summary>
internal static class ListEnvelope
{
    public const string ApiVersion = ResourceAccess.Group + "/" + ResourceAccess.Version;

    public static JsonObject Build(string kind, JsonArray items, int hiddenNamespaces, JsonArray unreachable) => new()
    {
        ["kind"] = kind,
        ["apiVersion"] = ApiVersion,
        ["items"] = items,
        ["hiddenNamespaces"] = hiddenNamespaces,
        ["unreachableNodes"] = unreachable,
    };

    /// <summary>Every item, detached from its agent's array so it can move into the answer.</summary>
    public static List<JsonNode> Items(FanOutResult result) =>
        [.. result.Answers.SelectMany(a => a.Items.Select(i => i?.DeepClone()).OfType<JsonNode>())];

    /// <summary>
    /// The items a cluster-wide list may show: all when the user may list across the cluster; else
    /// those of each namespace where a review allows it. Items with no namespace (containers
    /// outside Kubernetes) need the cluster-wide permission and count as one hidden namespace.
    /// </summary>
    public static async Task<(JsonArray Items, int Hidden)> VisibleAsync(HttpContext context, AccessReviewer reviewer, RequestIdentity identity,
        List<JsonNode> items, Func<JsonNode, string?> namespaceOf, Func<string, ResourceAccess> accessFor)
    {
        if ((await reviewer.ReviewAsync(identity, accessFor(""), context.RequestAborted).ConfigureAwait(false)).Allowed)
        {
            return (new JsonArray([.. items]), 0);
        }
        var byNamespace = items.GroupBy(i => namespaceOf(i) ?? "", StringComparer.Ordinal).ToList();
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        var gate = new Lock();
        await Parallel.ForEachAsync(byNamespace.Where(g => g.Key.Length > 0).Select(g => g.Key),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = context.RequestAborted },
            async (ns, ct) =>
            {
                if ((await reviewer.ReviewAsync(identity, accessFor(ns), ct).ConfigureAwait(false)).Allowed)
                {
                    lock (gate)
                    {
                        allowed.Add(ns);
                    }
                }
            }).ConfigureAwait(false);
        var visible = new JsonArray([.. byNamespace.Where(g => allowed.Contains(g.Key)).SelectMany(g => g)]);
        return (visible, byNamespace.Count - allowed.Count);
    }

    public static string? ContainerNamespace(JsonNode item) => Text(item["namespace"]);

    public static string? DumpNamespace(JsonNode item) => Text(item["container"]?["namespace"]);

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
