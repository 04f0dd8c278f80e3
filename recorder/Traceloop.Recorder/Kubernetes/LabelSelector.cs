namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// An equality-based label selector as kubectl takes it: <c>app=web,tier!=db,canary,!legacy</c>
/// (set-based <c>in (...)</c> forms are refused with a clear error rather than misread).
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<(string Key, string? Value, bool Negated)> _terms;

    private LabelSelector(List<(string, string?, bool)> terms)
    {
        _terms = terms;
    }

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _terms.Count == 0;

    public static bool TryParse(string? text, out LabelSelector selector, out string? error)
    {
        selector = Everything;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        var terms = new List<(string, string?, bool)>();
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0 || raw.Contains(" in ", StringComparison.Ordinal) || raw.Contains('(', StringComparison.Ordinal))
            {
                error = $"label selector term '{raw}' is not of the form key=value, key!=value, key or !key";
                return false;
            }
            int ne = raw.IndexOf("!=", StringComparison.Ordinal);
            int eq = raw.IndexOf('=', StringComparison.Ordinal);
            (string key, string? value, bool negated) term = ne > 0 ? (raw[..ne], (string?)raw[(ne + 2)..], true)
                : eq > 0 ? (raw[..eq], (string?)raw[(eq + 1)..].TrimStart('='), false)
                : raw.StartsWith('!') ? (raw[1..], (string?)null, true)
                : (raw, (string?)null, false);
            if (term.key.Length == 0 || term.key.Any(char.IsWhiteSpace))
            {
                error = $"label selector term '{raw}' has no valid key";
                return false;
            }
            terms.Add(term);
        }
        selector = new LabelSelector(terms);
        return true;
    }

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        foreach ((string key, string? value, bool negated) in _terms)
        {
            bool has = labels is not null && labels.TryGetValue(key, out string? actual) && (value is null || actual == value);
            if (has == negated)
            {
                return false;
            }
        }
        return true;
    }
}
