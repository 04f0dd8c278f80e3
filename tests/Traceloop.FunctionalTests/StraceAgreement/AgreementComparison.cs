using System.Text.RegularExpressions;

namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>How a stretch of a run compares: strace's lines against the recorder's, thread by thread.</summary>
internal sealed class PhaseResult
{
    public required string Workload { get; init; }

    /// <summary>"workload" from the entrypoint's execve on, or "runc-init" for runc's Go init after strace attached.</summary>
    public required string Phase { get; init; }

    public int StraceLines { get; set; }

    public int NameMatched { get; set; }

    public int RetMatched { get; set; }

    public int FullMatched { get; set; }

    /// <summary>Recorder lines no strace line paired with (after strace had attached).</summary>
    public int RecorderOnly { get; set; }

    public SortedDictionary<string, SyscallCounts> ByKey { get; } = new(StringComparer.Ordinal);

    public List<Difference> Differences { get; } = [];

    public double NamePercent => Percent(NameMatched);

    public double RetPercent => Percent(RetMatched);

    public double FullPercent => Percent(FullMatched);

    private double Percent(int count) => StraceLines == 0 ? 100 : Math.Round(100.0 * count / StraceLines, 1);
}

internal sealed class SyscallCounts
{
    public int Strace { get; set; }

    public int Name { get; set; }

    public int Ret { get; set; }

    public int Full { get; set; }

    public int RecorderOnly { get; set; }
}

/// <summary>
/// One line that differs: strace's text and ours (either may be missing), and the class it counts under. For an
/// argument that differs, <see cref="Captured"/> says whether the kernel had read that argument's memory, that is
/// whether rendering alone could close the gap (the argument's position as printed, which for a few syscalls such as
/// clone is not its register's).
/// </summary>
internal sealed record Difference(string Class, string Key, string? Strace, string? Ours, bool? Captured = null);

internal static partial class AgreementComparison
{
    public const string WorkloadPhase = "workload";
    public const string InitPhase = "runc-init";

    public static (PhaseResult Workload, PhaseResult Init) Compare(AgreementCapture capture)
    {
        List<TraceLine> strace = StraceLog.Parse(capture.StraceLog);
        // Nothing strace could show was entered before it started.
        List<TraceLine> recorder = DumpLog.FromEvents(capture.Events).Where(l => l.TimestampNs >= capture.StraceStartNs).ToList();

        (List<TraceLine> straceInit, List<TraceLine> straceWork) = SplitAtEntrypoint(strace, capture.InitPid, capture.RuncThreads);
        (List<TraceLine> recorderInit, List<TraceLine> recorderWork) = SplitAtEntrypoint(recorder, capture.InitPid, capture.RuncThreads);

        var work = new PhaseResult { Workload = capture.Workload.Name, Phase = WorkloadPhase };
        Compare(straceWork, recorderWork, work, countExtraAfterNs: 0);
        var init = new PhaseResult { Workload = capture.Workload.Name, Phase = InitPhase };
        // A thread's syscalls between strace's start and its attach are the recorder's alone, and fairly so.
        Compare(straceInit, recorderInit, init, countExtraAfterNs: capture.StraceAttachedNs);
        return (work, init);
    }

    /// <summary>
    /// Splits at the init's execve of the entrypoint: before it, and every line of the threads that runc's Go init had
    /// (they die at the exec), is runc; from it on, the workload. The same rule cuts both views. The threads are those
    /// listed in /proc when strace had attached, and any other that shows up before the exec (Go may start one); a
    /// thread that made no syscall after the attach still prints its exit after the exec began.
    /// </summary>
    private static (List<TraceLine> Init, List<TraceLine> Work) SplitAtEntrypoint(List<TraceLine> lines, int initPid, IReadOnlySet<int> runcThreadsAtAttach)
    {
        int exec = lines.FindIndex(l => l.Tid == initPid && l.Kind == LineKind.Syscall && l.Key == "execve" && l.Ret == "0");
        if (exec < 0)
        {
            return (lines, []);
        }
        var runcThreads = lines.Take(exec).Select(l => l.Tid).Where(t => t != initPid).Concat(runcThreadsAtAttach).ToHashSet();
        var init = new List<TraceLine>();
        var work = new List<TraceLine>();
        for (int i = 0; i < lines.Count; i++)
        {
            (i < exec || runcThreads.Contains(lines[i].Tid) ? init : work).Add(lines[i]);
        }
        return (init, work);
    }

    private static void Compare(List<TraceLine> strace, List<TraceLine> recorder, PhaseResult result, long countExtraAfterNs)
    {
        var straceByTid = strace.GroupBy(l => l.Tid).ToDictionary(g => g.Key, g => g.ToList());
        var recorderByTid = recorder.GroupBy(l => l.Tid).ToDictionary(g => g.Key, g => g.ToList());
        foreach (int tid in straceByTid.Keys.Union(recorderByTid.Keys).Order())
        {
            List<TraceLine> s = straceByTid.GetValueOrDefault(tid) ?? [];
            List<TraceLine> r = recorderByTid.GetValueOrDefault(tid) ?? [];
            int[] match = LineAlignment.Align(s, r);
            var paired = new bool[r.Count];
            for (int i = 0; i < s.Count; i++)
            {
                TraceLine line = s[i];
                SyscallCounts counts = Counts(result, line.Key);
                result.StraceLines++;
                counts.Strace++;
                if (match[i] < 0)
                {
                    result.Differences.Add(new Difference($"{line.Key}: missing from the dump", line.Key, Show(line), null));
                    continue;
                }
                TraceLine ours = r[match[i]];
                paired[match[i]] = true;
                result.NameMatched++;
                counts.Name++;
                bool retEqual = line.Ret == ours.Ret;
                if (retEqual)
                {
                    result.RetMatched++;
                    counts.Ret++;
                }
                if (line.Full == ours.Full)
                {
                    result.FullMatched++;
                    counts.Full++;
                    continue;
                }
                (string what, int argument) = WhatDiffers(line, ours, retEqual);
                bool? captured = argument >= 0 ? (ours.CapturedArgs & (1 << argument)) != 0 : null;
                result.Differences.Add(new Difference($"{line.Key}: {what}", line.Key, Show(line), Show(ours), captured));
            }
            for (int j = 0; j < r.Count; j++)
            {
                if (!paired[j] && r[j].TimestampNs >= countExtraAfterNs)
                {
                    result.RecorderOnly++;
                    Counts(result, r[j].Key).RecorderOnly++;
                    result.Differences.Add(new Difference($"{r[j].Key}: only in the dump", r[j].Key, null, Show(r[j])));
                }
            }
        }
    }

    /// <returns>What differs, and the 0-based index of the first differing argument (or -1).</returns>
    private static (string What, int Argument) WhatDiffers(TraceLine strace, TraceLine ours, bool retEqual)
    {
        if (strace.Kind != LineKind.Syscall)
        {
            return (retEqual ? "text" : "outcome", -1);
        }
        if (!retEqual)
        {
            return ("return value", -1);
        }
        List<string> a = Syntax.SplitArgs(strace.Args);
        List<string> b = Syntax.SplitArgs(ours.Args);
        for (int k = 0; k < Math.Min(a.Count, b.Count); k++)
        {
            if (a[k] != b[k])
            {
                return ($"argument {k + 1}", k);
            }
        }
        return ("argument count", -1);
    }

    private static SyscallCounts Counts(PhaseResult result, string key)
    {
        if (!result.ByKey.TryGetValue(key, out SyscallCounts? counts))
        {
            result.ByKey[key] = counts = new SyscallCounts();
        }
        return counts;
    }

    /// <summary>The line as printed, with strace's padding before " = " taken out so the two read side by side.</summary>
    private static string Show(TraceLine line) => $"{line.Tid} {Padding().Replace(line.Original.Trim(), ") = ")}";

    [GeneratedRegex(@"\)\s{2,}= ")]
    private static partial Regex Padding();
}
