using System.Globalization;

namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>Reads <c>strace -f</c> output: one line per call, signal or exit, with split calls joined.</summary>
internal static class StraceLog
{
    private const string Unfinished = " <unfinished ...>";

    public static List<TraceLine> Parse(string log)
    {
        // Each entry keeps the position of its first half, so a joined call sits where it started, as in the recorder's dump.
        var lines = new List<string?>();
        var tids = new List<int>();
        var pending = new Dictionary<int, (int Index, string Name)>();
        foreach (string raw in log.Split('\n'))
        {
            if (raw.Length == 0)
            {
                continue;
            }
            int space = raw.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || !int.TryParse(raw.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out int tid))
            {
                throw new FormatException($"not a strace -f line: {raw}");
            }
            string body = raw[space..].TrimStart();
            if (body.StartsWith("<... ", StringComparison.Ordinal))
            {
                int resumed = body.IndexOf(" resumed>", StringComparison.Ordinal);
                string name = body[5..resumed];
                string rest = body[(resumed + " resumed>".Length)..];
                if (pending.Remove(tid, out var start) && start.Name == name)
                {
                    // "<... nanosleep resumed> <unfinished ...>) = ?": the thread died inside the call.
                    if (rest.StartsWith(Unfinished, StringComparison.Ordinal))
                    {
                        rest = rest[Unfinished.Length..];
                    }
                    lines[start.Index] += rest;
                    continue;
                }
                // A resumed half whose start strace printed before we could see it (cannot happen with -o and
                // attach-before-start, but keep the line rather than lose it).
                lines.Add(body);
                tids.Add(tid);
                continue;
            }
            if (body.EndsWith(Unfinished, StringComparison.Ordinal) && !body.StartsWith("+++", StringComparison.Ordinal))
            {
                int open = body.IndexOf('(', StringComparison.Ordinal);
                pending[tid] = (lines.Count, open > 0 ? body[..open] : body);
                lines.Add(body[..^Unfinished.Length]);
                tids.Add(tid);
                continue;
            }
            lines.Add(body);
            tids.Add(tid);
        }
        // Starts never resumed keep their marker, as strace printed them.
        foreach ((int tid, (int index, _)) in pending)
        {
            lines[index] += Unfinished;
        }
        var result = new List<TraceLine>(lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            result.Add(TraceLine.Parse(tids[i], lines[i]!));
        }
        return result;
    }
}
