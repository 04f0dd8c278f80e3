using System.Text.RegularExpressions;
using Traceloop.Api;

namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>The recorder's dump as lines to compare: each event's strace-style text, keyed by thread.</summary>
internal static partial class DumpLog
{
    public static List<TraceLine> FromEvents(IEnumerable<TraceEventDto> events) =>
        events.Select(e => TraceLine.Parse(e.Tid, Duration().Replace(e.Text ?? "", ""), e.TimestampNs) with { CapturedArgs = CapturedMask(e) }).ToList();

    private static int CapturedMask(TraceEventDto e)
    {
        int mask = 0;
        for (int i = 0; i < (e.Args?.Length ?? 0); i++)
        {
            if (e.Args![i].Payload is not null)
            {
                mask |= 1 << i;
            }
        }
        return mask;
    }

    /// <summary>
    /// Checks that the text dump prints, after each line's time, pid and comm, exactly the JSON event's text:
    /// the comparison reads the JSON for its thread ids and timestamps, but what users read is the text.
    /// </summary>
    public static List<string> TextDisagreements(string dumpText, IReadOnlyList<TraceEventDto> events)
    {
        // The dump opens with '#' comment lines (container, node, counts).
        string[] lines = dumpText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToArray();
        var problems = new List<string>();
        // An event that carried an HTTP message is followed by that message's own line.
        int expected = events.Count + events.Count(e => e.Http is not null);
        if (lines.Length != expected)
        {
            problems.Add($"the text dump has {lines.Length} lines, the JSON dump {events.Count} events ({expected} lines with their HTTP messages)");
            return problems;
        }
        int line = 0;
        for (int i = 0; i < events.Count; i++, line++)
        {
            string expectedPid = events[i].Tid == events[i].Pid ? $"{events[i].Pid}" : $"{events[i].Pid}/{events[i].Tid}";
            string[] fields = lines[line].Split(' ', 3);
            if (fields.Length < 3 || fields[1] != expectedPid || !lines[line].EndsWith(" " + events[i].Text, StringComparison.Ordinal))
            {
                problems.Add($"text line {line + 1} '{lines[line]}' is not event {events[i].Seq} '{expectedPid} ... {events[i].Text}'");
            }
            if (events[i].Http is not null)
            {
                line++;
                if (!lines[line].Contains(" --- http ", StringComparison.Ordinal))
                {
                    problems.Add($"text line {line + 1} '{lines[line]}' is not event {events[i].Seq}'s HTTP message");
                }
            }
        }
        return problems;
    }

    [GeneratedRegex(@" <\d+\.\d{6}>$")]
    private static partial Regex Duration();
}
