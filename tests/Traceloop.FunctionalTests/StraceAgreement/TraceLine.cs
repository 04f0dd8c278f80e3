using System.Text;
using System.Text.RegularExpressions;

namespace Traceloop.FunctionalTests.StraceAgreement;

internal enum LineKind
{
    Syscall,
    Signal,
    Exit,
}

/// <summary>
/// One line of either view, split into the parts the comparison looks at. <see cref="Key"/> is what the alignment
/// matches on (the syscall name, "--- SIGCHLD", "+++"); <see cref="Ret"/> and <see cref="Args"/> are normalised.
/// </summary>
internal sealed partial record TraceLine(int Tid, LineKind Kind, string Key, string Args, string Ret, string Original, long TimestampNs = 0)
{
    /// <summary>Recorder lines: bit i is set when the kernel read user memory for argument i (a string, a struct).</summary>
    public int CapturedArgs { get; init; }

    /// <summary>The whole line as compared: <c>name(args) = ret</c>, the signal or the exit line.</summary>
    public string Full => Kind == LineKind.Syscall ? $"{Key}({Args}) = {Ret}" : $"{Args}";

    /// <summary>Parses <c>name(args) = ret</c>, <c>name(args) &lt;unfinished ...&gt;</c>, <c>--- SIG... ---</c> or <c>+++ ... +++</c>.</summary>
    public static TraceLine Parse(int tid, string text, long timestampNs = 0)
    {
        string body = text.Trim();
        if (body.StartsWith("--- ", StringComparison.Ordinal))
        {
            // "--- SIGCHLD {si_signo=...} ---": the signal name is the key, the whole line its text.
            int end = body.IndexOf(' ', 4);
            string signal = end < 0 ? body[4..] : body[4..end];
            return new TraceLine(tid, LineKind.Signal, "--- " + signal, Normalisation.Apply(body), signal, text, timestampNs);
        }
        if (body.StartsWith("+++ ", StringComparison.Ordinal))
        {
            // The outcome (exit code or signal) is the "return value"; the wording is part of the full text.
            Match m = ExitOutcome().Match(body);
            string outcome = m.Success ? m.Groups[1].Value : body;
            return new TraceLine(tid, LineKind.Exit, "+++", Normalisation.Apply(body), outcome, text, timestampNs);
        }

        string name;
        string args;
        string rest;
        if (body.StartsWith("<... ", StringComparison.Ordinal))
        {
            // A resumed half with no start, as the recorder shows a syscall whose enter it did not see
            // (a new child returning from clone).
            int resumed = body.IndexOf(" resumed>", StringComparison.Ordinal);
            name = body[5..resumed];
            int close = Syntax.FindClosingParen(body, resumed + " resumed>".Length - 1);
            args = "<... resumed>" + body[(resumed + " resumed>".Length)..Math.Max(close, resumed + " resumed>".Length)];
            rest = close < 0 ? "" : body[(close + 1)..];
        }
        else
        {
            int open = body.IndexOf('(', StringComparison.Ordinal);
            if (open <= 0)
            {
                return new TraceLine(tid, LineKind.Syscall, body, "", "", text, timestampNs);
            }
            name = body[..open];
            int close = Syntax.FindClosingParen(body, open);
            if (close < 0)
            {
                // "name(args <unfinished ...>" never resumed (strace), or unparseable.
                string inner = body[(open + 1)..];
                const string Unfinished = " <unfinished ...>";
                if (inner.EndsWith(Unfinished, StringComparison.Ordinal))
                {
                    return new TraceLine(tid, LineKind.Syscall, name, Normalisation.Apply(inner[..^Unfinished.Length].Trim()), "<unfinished ...>", text, timestampNs);
                }
                return new TraceLine(tid, LineKind.Syscall, name, Normalisation.Apply(inner.Trim()), "", text, timestampNs);
            }
            args = body[(open + 1)..close];
            rest = body[(close + 1)..];
        }

        rest = rest.Trim();
        string ret;
        if (rest.StartsWith('='))
        {
            ret = rest[1..].Trim();
        }
        else
        {
            // "<unfinished ...>" (the recorder's in-flight syscall) or nothing.
            ret = rest;
        }
        return new TraceLine(tid, LineKind.Syscall, name, Normalisation.Apply(args.Trim()), Normalisation.Apply(ret), text, timestampNs);
    }

    public override string ToString() => $"{Tid} {Original}";

    [GeneratedRegex(@"^\+\+\+ (?:thread )?(exited with \d+|killed by \S+(?: \(core dumped\))?)")]
    private static partial Regex ExitOutcome();
}

/// <summary>
/// The normalisation rules, all of them, applied the same way to both views. They are deliberately few: the point is
/// to find real differences, not to hide them.
/// </summary>
internal static partial class Normalisation
{
    public static readonly string[] Rules =
    [
        "Only the call is compared: strace's pid prefix, the recorder's time, pid/tid and comm prefix, and the recorder's <duration> suffix (strace ran without -T) are not part of it.",
        "strace's '<unfinished ...>' and '<... name resumed>' halves are joined into one line at the position of the first half.",
        "Whitespace around the top-level ' = ' and at the ends of the argument list is trimmed (strace pads the return value to column 40).",
        "Outside quoted strings, hexadecimal numbers (0x[0-9a-f]+) become ADDR: pointers and the like. A hex number on one side against a decimal or a decoded value on the other is still a difference.",
        "Nothing else: '/* N vars */', '/* N entries */', '...' and '\"...\"...' are compared as printed.",
    ];

    /// <summary>Applies the hex rule outside quoted strings.</summary>
    public static string Apply(string text)
    {
        if (!text.Contains("0x", StringComparison.Ordinal))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '"')
            {
                int end = Syntax.SkipString(text, i);
                sb.Append(text, i, end - i);
                i = end;
                continue;
            }
            if (c == '0' && i + 2 < text.Length && text[i + 1] == 'x' && Uri.IsHexDigit(text[i + 2])
                && (i == 0 || !char.IsLetterOrDigit(text[i - 1]) && text[i - 1] != '_'))
            {
                int j = i + 2;
                while (j < text.Length && Uri.IsHexDigit(text[j]))
                {
                    j++;
                }
                sb.Append("ADDR");
                i = j;
                continue;
            }
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }
}

/// <summary>Just enough of strace's syntax to find where things end: quoted strings and nested brackets.</summary>
internal static class Syntax
{
    /// <summary>The index just past the string that starts at <paramref name="start"/> (a '"'), honouring backslash escapes.</summary>
    public static int SkipString(string text, int start)
    {
        int i = start + 1;
        while (i < text.Length)
        {
            if (text[i] == '\\')
            {
                i += 2;
                continue;
            }
            if (text[i] == '"')
            {
                return i + 1;
            }
            i++;
        }
        return text.Length;
    }

    /// <summary>The index of the first ')' after <paramref name="open"/> that is not inside brackets or a string, or -1.</summary>
    public static int FindClosingParen(string text, int open)
    {
        int depth = 0;
        for (int i = open + 1; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '"':
                    i = SkipString(text, i) - 1;
                    break;
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ']' or '}':
                    depth--;
                    break;
                case ')':
                    if (depth == 0)
                    {
                        return i;
                    }
                    depth--;
                    break;
            }
        }
        return -1;
    }

    /// <summary>Splits an argument list at its top-level commas.</summary>
    public static List<string> SplitArgs(string args)
    {
        var parts = new List<string>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < args.Length; i++)
        {
            char c = args[i];
            switch (c)
            {
                case '"':
                    i = SkipString(args, i) - 1;
                    break;
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    depth--;
                    break;
                case ',' when depth == 0:
                    parts.Add(args[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }
        if (args.Length > 0)
        {
            parts.Add(args[start..].Trim());
        }
        return parts;
    }
}
