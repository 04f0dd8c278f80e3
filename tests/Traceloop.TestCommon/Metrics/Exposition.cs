using System.Globalization;
using System.Text.RegularExpressions;

namespace Traceloop.TestCommon.Metrics;

/// <summary>A parsed Prometheus text exposition: enough to look samples up by name and labels.</summary>
public sealed partial class Exposition
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public Exposition(string text)
    {
        Text = text;
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            Match m = Sample().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"not a sample line: {line}");
            }
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in Label().Matches(m.Groups["labels"].Value))
            {
                labels[l.Groups["k"].Value] = l.Groups["v"].Value;
            }
            string value = m.Groups["value"].Value;
            _samples.Add((m.Groups["name"].Value, labels, value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => double.Parse(value, CultureInfo.InvariantCulture),
            }));
        }
    }

    public string Text { get; }

    /// <summary>Samples of <paramref name="name"/> whose labels include every one given.</summary>
    public IEnumerable<(Dictionary<string, string> Labels, double Value)> Find(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out string? v) && v == l.Value))
            .Select(s => (s.Labels, s.Value));

    /// <summary>The one sample's value, or 0 when the series does not exist (yet).</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var found = Find(name, labels).ToList();
        if (found.Count > 1)
        {
            throw new InvalidOperationException($"{found.Count} samples of {name} match; expected one");
        }
        return found.Count == 0 ? 0 : found[0].Value;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<k>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<v>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
