using System.Text.Json;

namespace Traceloop.TestCommon.Cli;

/// <summary>
/// The rules of the Chrome trace-event JSON object format that ui.perfetto.dev's importer relies
/// on, checked on a document: shared with the functional tests, which check the CLI's real output.
/// </summary>
internal static class TraceEventFormatRules
{
    private static readonly HashSet<string> Phases = ["B", "E", "X", "i", "I", "M", "C", "b", "e", "n", "s", "t", "f", "P", "O", "N", "D"];
    private static readonly HashSet<string> MetadataNames = ["process_name", "thread_name", "process_labels", "process_sort_index", "thread_sort_index"];

    /// <summary>Every rule broken, one line each; empty when the document is valid.</summary>
    public static List<string> Violations(string json)
    {
        var problems = new List<string>();
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("traceEvents", out JsonElement events) || events.ValueKind != JsonValueKind.Array)
        {
            return ["the root is not an object with a traceEvents array"];
        }
        if (root.TryGetProperty("displayTimeUnit", out JsonElement unit) && unit.GetString() is not ("ms" or "ns"))
        {
            problems.Add($"displayTimeUnit '{unit}' is neither ms nor ns");
        }
        var processNames = new HashSet<long>();
        var threadNames = new HashSet<(long, long)>();
        var threadsWithEvents = new HashSet<(long, long)>();
        var lastTs = new Dictionary<(long, long), double>();
        var openSlices = new Dictionary<(long, long), Stack<double>>();
        int index = -1;
        foreach (JsonElement e in events.EnumerateArray())
        {
            index++;
            string at = $"event {index}";
            if (e.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{at} is not an object");
                continue;
            }
            string? ph = e.TryGetProperty("ph", out JsonElement phe) && phe.ValueKind == JsonValueKind.String ? phe.GetString() : null;
            if (ph is null || !Phases.Contains(ph))
            {
                problems.Add($"{at} has no known ph");
                continue;
            }
            if (!e.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String)
            {
                problems.Add($"{at} has no name");
            }
            if (!TryInteger(e, "pid", out long pid) || !TryInteger(e, "tid", out long tid))
            {
                problems.Add($"{at} lacks an integer pid or tid");
                continue;
            }
            if (!e.TryGetProperty("ts", out JsonElement tse) || tse.ValueKind != JsonValueKind.Number || tse.GetDouble() < 0)
            {
                problems.Add($"{at} lacks a non-negative numeric ts");
                continue;
            }
            double ts = tse.GetDouble();
            switch (ph)
            {
                case "M":
                    string? kind = name.GetString();
                    if (kind is null || !MetadataNames.Contains(kind))
                    {
                        problems.Add($"{at}: metadata '{kind}' is not one the importers know");
                    }
                    else if (kind.EndsWith("_name", StringComparison.Ordinal))
                    {
                        if (!e.TryGetProperty("args", out JsonElement margs) || !margs.TryGetProperty("name", out JsonElement n) || n.ValueKind != JsonValueKind.String)
                        {
                            problems.Add($"{at}: {kind} without args.name");
                        }
                        else if (kind == "process_name")
                        {
                            processNames.Add(pid);
                        }
                        else
                        {
                            threadNames.Add((pid, tid));
                        }
                    }
                    continue;
                case "X":
                    if (!e.TryGetProperty("dur", out JsonElement dur) || dur.ValueKind != JsonValueKind.Number || dur.GetDouble() < 0)
                    {
                        problems.Add($"{at}: complete event without a non-negative numeric dur");
                        continue;
                    }
                    if (!e.TryGetProperty("args", out JsonElement args) || args.ValueKind != JsonValueKind.Object)
                    {
                        problems.Add($"{at}: slice without args");
                    }
                    CheckNesting(problems, at, openSlices, (pid, tid), ts, ts + dur.GetDouble());
                    break;
                case "i" or "I":
                    if (!e.TryGetProperty("s", out JsonElement scope) || scope.GetString() is not ("g" or "p" or "t"))
                    {
                        problems.Add($"{at}: instant without scope g, p or t");
                    }
                    if (scope.ValueKind == JsonValueKind.String && scope.GetString() == "g")
                    {
                        continue;
                    }
                    break;
            }
            threadsWithEvents.Add((pid, tid));
            if (lastTs.TryGetValue((pid, tid), out double previous) && ts < previous)
            {
                problems.Add($"{at}: ts {ts} goes back from {previous} on thread {pid}/{tid}");
            }
            lastTs[(pid, tid)] = ts;
        }
        foreach ((long pid, long tid) in threadsWithEvents)
        {
            if (!processNames.Contains(pid))
            {
                problems.Add($"process {pid} has events but no process_name");
            }
            if (!threadNames.Contains((pid, tid)))
            {
                problems.Add($"thread {pid}/{tid} has events but no thread_name");
            }
        }
        return problems;
    }

    /// <summary>Slices of one thread either nest or follow each other; a partial overlap cannot be drawn.</summary>
    private static void CheckNesting(List<string> problems, string at, Dictionary<(long, long), Stack<double>> open, (long, long) thread, double start, double end)
    {
        if (!open.TryGetValue(thread, out Stack<double>? ends))
        {
            open[thread] = ends = new Stack<double>();
        }
        while (ends.Count > 0 && ends.Peek() <= start)
        {
            ends.Pop();
        }
        if (ends.Count > 0 && end > ends.Peek() + 1e-9)
        {
            problems.Add($"{at}: slice [{start}, {end}] overlaps the enclosing one ending at {ends.Peek()}");
        }
        ends.Push(end);
    }

    private static bool TryInteger(JsonElement e, string property, out long value)
    {
        value = 0;
        return e.TryGetProperty(property, out JsonElement p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out value);
    }
}
