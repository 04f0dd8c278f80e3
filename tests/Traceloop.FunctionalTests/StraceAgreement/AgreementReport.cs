using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>The corpus's results as JSON (for tools and for tracking over time) and as a table (for people).</summary>
internal sealed class AgreementReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required IReadOnlyList<PhaseResult> Phases { get; init; }

    public required IReadOnlyDictionary<string, RunInfo> Runs { get; init; }

    /// <summary>The workload phases together, and the runc-init phases together.</summary>
    public PhaseResult Total(string phase)
    {
        var total = new PhaseResult { Workload = phase == AgreementComparison.WorkloadPhase ? "all workloads" : "runc init (all runs)", Phase = phase };
        foreach (PhaseResult p in Phases.Where(p => p.Phase == phase))
        {
            total.StraceLines += p.StraceLines;
            total.NameMatched += p.NameMatched;
            total.RetMatched += p.RetMatched;
            total.FullMatched += p.FullMatched;
            total.RecorderOnly += p.RecorderOnly;
            total.Differences.AddRange(p.Differences);
            foreach ((string key, SyscallCounts c) in p.ByKey)
            {
                if (!total.ByKey.TryGetValue(key, out SyscallCounts? t))
                {
                    total.ByKey[key] = t = new SyscallCounts();
                }
                t.Strace += c.Strace;
                t.Name += c.Name;
                t.Ret += c.Ret;
                t.Full += c.Full;
                t.RecorderOnly += c.RecorderOnly;
            }
        }
        return total;
    }

    /// <summary>Difference classes by how many lines they cover, each with its first example.</summary>
    public static List<(string Class, int Count, Difference Example)> Classes(IEnumerable<Difference> differences) =>
        differences.GroupBy(d => d.Class)
            .Select(g => (g.Key, g.Count(), g.First()))
            .OrderByDescending(c => c.Item2).ThenBy(c => c.Key, StringComparer.Ordinal)
            .ToList();

    public string ToJson()
    {
        var phases = Phases.Append(Total(AgreementComparison.WorkloadPhase)).Append(Total(AgreementComparison.InitPhase));
        var document = new
        {
            strace = $"strace {string.Join(' ', StraceSession.Options(AgreementCapture.MaxBytes))} -p <init pid>",
            normalisation = Normalisation.Rules,
            target = new { namePlusRetPercent = 98.0, fullArgsPercent = 90.0 },
            runs = Runs,
            phases = phases.Select(p => new
            {
                p.Workload,
                p.Phase,
                p.StraceLines,
                p.NameMatched,
                p.RetMatched,
                p.FullMatched,
                p.NamePercent,
                p.RetPercent,
                p.FullPercent,
                p.RecorderOnly,
                bySyscall = p.ByKey,
                classes = Classes(p.Differences).Select(c => new { @class = c.Class, count = c.Count, strace = c.Example.Strace, ours = c.Example.Ours, captured = c.Example.Captured }),
                differences = p.Differences,
            }),
        };
        return JsonSerializer.Serialize(document, JsonOptions);
    }

    /// <summary>A Markdown table: one row per workload, the totals, and the largest difference classes with an example each.</summary>
    public string ToTable(int topClasses = 15)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"strace {string.Join(' ', StraceSession.Options(AgreementCapture.MaxBytes))} against the recorder's dump of the same run; target: name+ret >= 98 %, full args >= 90 %.");
        sb.AppendLine();
        sb.AppendLine("| workload | strace lines | matched by name | name + ret | full args | dump-only lines | top mismatching syscalls |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (PhaseResult p in Phases.Where(p => p.Phase == AgreementComparison.WorkloadPhase)
            .Append(Total(AgreementComparison.WorkloadPhase))
            .Append(Total(AgreementComparison.InitPhase)))
        {
            string top = string.Join(", ", p.Differences.Where(d => d.Strace is not null).GroupBy(d => d.Key)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(4).Select(g => $"{g.Key} ({g.Count()})"));
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Workload} | {p.StraceLines} | {p.NamePercent:0.0} % | {p.RetPercent:0.0} % | {p.FullPercent:0.0} % | {p.RecorderOnly} | {top} |");
        }
        AppendClasses(sb, $"Top {topClasses} difference classes in the workloads", Total(AgreementComparison.WorkloadPhase), topClasses);
        AppendClasses(sb, "Top difference classes in runc's init (after strace attached)", Total(AgreementComparison.InitPhase), 8);
        return sb.ToString();
    }

    private static void AppendClasses(StringBuilder sb, string title, PhaseResult phase, int count)
    {
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{title} (strace's line, then ours; \"captured\": the kernel read that argument, so only rendering is missing):");
        sb.AppendLine();
        int rank = 0;
        foreach ((string cls, int lines, Difference example) in Classes(phase.Differences).Take(count))
        {
            rank++;
            string captured = example.Captured switch { true => ", captured", false => ", not captured", null => "" };
            sb.AppendLine(CultureInfo.InvariantCulture, $"{rank}. {cls} — {lines} lines{captured}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"   strace: {example.Strace ?? "(none)"}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"   ours:   {example.Ours ?? "(none)"}");
        }
    }
}

internal sealed record RunInfo(string Covers, int ExitCode, int InitPid, int StraceLogLines, int DumpEvents, long EventsLost, IReadOnlyList<string> TextDumpProblems);
