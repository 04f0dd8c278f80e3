using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Api;

/// <summary>
/// A listing the gateway sends (kind RecordedContainerList or CrashDumpList): the items the user
/// may see, how many namespaces had items the user may not list, and the nodes whose agents did
/// not answer.
/// </summary>
internal sealed record RecordedList<T>(List<T> Items, int HiddenNamespaces, IReadOnlyList<string> UnreachableNodes)
{
    public static RecordedList<T> Parse(byte[] body, JsonTypeInfo<List<T>> items, string what)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("items", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new JsonException("no items array");
            }
            int hidden = root.TryGetProperty("hiddenNamespaces", out JsonElement h) && h.ValueKind == JsonValueKind.Number ? h.GetInt32() : 0;
            List<string> unreachable = root.TryGetProperty("unreachableNodes", out JsonElement u) && u.ValueKind == JsonValueKind.Array
                ? [.. u.EnumerateArray().Select(n => n.GetString()).OfType<string>()]
                : [];
            return new RecordedList<T>(list.Deserialize(items) ?? [], hidden, unreachable);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new PluginException($"the Traceloop API sent an unreadable answer to {what}: {e.Message}", ExitCode.Failed, e);
        }
    }

    /// <summary>
    /// Says on stderr what the listing leaves out: hidden namespaces (RBAC) and nodes that did not
    /// answer. Unreachable nodes make the result partial.
    /// </summary>
    public ExitCode Report(TextWriter error, string items)
    {
        if (HiddenNamespaces > 0)
        {
            error.WriteLine(HiddenNamespaces == 1
                ? $"1 namespace hidden: it has {items} you may not list (RBAC)"
                : $"{HiddenNamespaces} namespaces hidden: they have {items} you may not list (RBAC)");
        }
        foreach (string node in UnreachableNodes)
        {
            error.WriteLine($"warning: node {node}: its Traceloop agent did not answer; its {items} are missing");
        }
        return UnreachableNodes.Count > 0 ? ExitCode.Partial : ExitCode.Success;
    }
}
