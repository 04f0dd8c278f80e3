using System.Text.Json.Nodes;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>A selector the fake API server cannot honour; answered 400 Bad Request, as the real one does.</summary>
public sealed class SelectorException(string message) : Exception(message);

/// <summary>
/// fieldSelector for pods: the fields the real API server indexes for pods
/// (pkg/registry/core/pod/strategy.go ToSelectableFields), with =, == and !=.
/// </summary>
public sealed class FieldSelector
{
    private static readonly HashSet<string> PodFields =
    [
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
    ];

    private readonly List<(string Field, string Value, bool Equal)> _terms = [];

    public static FieldSelector Everything { get; } = new();

    public static FieldSelector Parse(string? text)
    {
        var selector = new FieldSelector();
        foreach ((string key, string value, bool equal) in Terms(text, "field"))
        {
            if (!PodFields.Contains(key))
            {
                throw new SelectorException($"field label not supported: {key}");
            }
            selector._terms.Add((key, value, equal));
        }
        return selector;
    }

    public bool Matches(JsonObject pod) => _terms.All(t => (Lookup(pod, t.Field) == t.Value) == t.Equal);

    private static string Lookup(JsonObject pod, string path)
    {
        JsonNode? node = pod;
        foreach (string part in path.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(part, out JsonNode? next) ? next : null;
        }
        return node switch
        {
            null => "",
            JsonValue v when v.TryGetValue(out bool b) => b ? "true" : "false",
            JsonValue v => v.ToString(),
            _ => "",
        };
    }

    internal static IEnumerable<(string Key, string Value, bool Equal)> Terms(string? text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }
        foreach (string raw in text.Split(','))
        {
            string term = raw.Trim();
            int ne = term.IndexOf("!=", StringComparison.Ordinal);
            int eqeq = term.IndexOf("==", StringComparison.Ordinal);
            int eq = term.IndexOf('=');
            if (ne > 0)
            {
                yield return (term[..ne].Trim(), term[(ne + 2)..].Trim(), false);
            }
            else if (eqeq > 0)
            {
                yield return (term[..eqeq].Trim(), term[(eqeq + 2)..].Trim(), true);
            }
            else if (eq > 0)
            {
                yield return (term[..eq].Trim(), term[(eq + 1)..].Trim(), true);
            }
            else
            {
                throw new SelectorException($"invalid {what} selector term '{term}': this fake API server supports =, == and != only");
            }
        }
    }
}

/// <summary>labelSelector with equality terms (=, ==, !=), plus "key" and "!key" for existence; no set-based terms.</summary>
public sealed class LabelSelector
{
    private readonly List<(string Key, string? Value, bool Equal)> _terms = [];

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }
        foreach (string raw in text.Split(','))
        {
            string term = raw.Trim();
            if (term.Contains(" in ", StringComparison.Ordinal) || term.Contains(" notin ", StringComparison.Ordinal) || term.Contains('('))
            {
                throw new SelectorException($"set-based label selector '{term}' is not supported by this fake API server");
            }
            if (!term.Contains('='))
            {
                // Existence: "key" or "!key".
                selector._terms.Add(term.StartsWith('!') ? (term[1..], null, false) : (term, null, true));
                continue;
            }
            foreach ((string key, string value, bool equal) in FieldSelector.Terms(term, "label"))
            {
                selector._terms.Add((key, value, equal));
            }
        }
        return selector;
    }

    public bool Matches(JsonObject pod)
    {
        JsonObject? labels = pod["metadata"]?["labels"] as JsonObject;
        foreach ((string key, string? value, bool equal) in _terms)
        {
            string? actual = labels is not null && labels.TryGetPropertyValue(key, out JsonNode? v) ? v?.GetValue<string>() : null;
            bool holds = value is null ? actual is not null : actual == value;
            if (holds != equal)
            {
                return false;
            }
        }
        return true;
    }
}
