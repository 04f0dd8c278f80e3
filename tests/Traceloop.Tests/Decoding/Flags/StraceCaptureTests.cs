using System.Text;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Decoding.Flags;

namespace Traceloop.Tests.Decoding.Flags;

/// <summary>A call strace 6.1 printed for known raw registers: <c>openat(AT_FDCWD, NULL, O_RDONLY|O_CLOEXEC)</c>.</summary>
internal sealed record StraceCall(string Name, ulong[] Args, string Text);

/// <summary>A return value strace 6.1 printed for an injected value: <c>0x8002 (flags O_RDWR|O_LARGEFILE)</c>.</summary>
internal sealed record StraceReturn(string Name, ulong[] Args, long Value, string Text);

/// <summary>
/// Every renderer against what strace itself printed for the same registers (StraceCaptures.g.cs,
/// captured by Capture/capture.py). An argument strace prints as a string, a struct or a plain
/// number has no renderer here and is not compared; its position still has to line up.
/// </summary>
public sealed class StraceCaptureTests
{
    [Fact]
    public void ArgumentsMatchStrace()
    {
        var failures = new List<string>();
        var sb = new StringBuilder();
        Span<int> order = stackalloc int[6];
        int compared = 0;
        foreach (StraceCall call in StraceCaptures.Calls)
        {
            Assert.True(SyscallTable.TryGetNumber(call.Name, out int nr), call.Name);
            List<string> expected = SplitArguments(call.Text);
            int count = ArgumentDecoders.GetPrintedArgs(nr, call.Args, order);
            if (count != expected.Count)
            {
                failures.Add($"{call.Text}: {count} arguments printed, strace printed {expected.Count}");
                continue;
            }
            for (int i = 0; i < count; i++)
            {
                sb.Clear();
                if (!ArgumentDecoders.TryAppend(nr, order[i], call.Args, sb) || IsKnownGap(call, order[i]))
                {
                    continue;
                }
                compared++;
                if (sb.ToString() != expected[i])
                {
                    failures.Add($"{call.Text}: argument {i} is {sb}, strace printed {expected[i]}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches:\n" + string.Join('\n', failures));
        Assert.True(compared > 2000, $"only {compared} arguments compared");
    }

    /// <summary>
    /// Where these renderers knowingly print less than strace: tables strace has that are not
    /// carried here. The argument count still has to match.
    /// </summary>
    private static bool IsKnownGap(StraceCall call, int argIndex) => (call.Name, argIndex) switch
    {
        // Protocols of families other than these (AX.25, CAN, Bluetooth...) print as numbers; strace names some.
        ("socket" or "socketpair", 2) => (int)call.Args[0] is not (1 or 2 or 10 or 16 or 17),
        // Option names under levels other than SOL_SOCKET, SOL_IP, SOL_IPV6, SOL_TCP, SOL_UDP and SOL_RAW print as numbers.
        ("setsockopt" or "getsockopt", 2) => (int)call.Args[1] is not (0 or 1 or 6 or 17 or 41 or 255),
        // prctl sub-commands with tables of their own: PR_MCE_KILL, PR_SET_MM, PR_CAP_AMBIENT, the SVE/SME
        // vector lengths, speculation control, pointer authentication, tagged addresses, syscall user
        // dispatch and core scheduling print their further arguments in hex here.
        ("prctl", >= 1) => (int)call.Args[0] is 33 or 35 or 47 or 50 or 52 or 53 or 54 or 55 or 59 or 60 or 62 or 63,
        _ => false,
    };

    [Fact]
    public void ReturnValuesMatchStrace()
    {
        var failures = new List<string>();
        var sb = new StringBuilder();
        foreach (StraceReturn ret in StraceCaptures.Returns)
        {
            Assert.True(SyscallTable.TryGetNumber(ret.Name, out int nr), ret.Name);
            sb.Clear();
            if (!ArgumentDecoders.TryAppendReturn(nr, ret.Args, ret.Value, sb))
            {
                sb.Append(ret.Value);
            }
            if (sb.ToString() != ret.Text)
            {
                failures.Add($"{ret.Name}({string.Join(", ", ret.Args)}) = {ret.Value}: {sb}, strace printed {ret.Text}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches:\n" + string.Join('\n', failures));
    }

    [Theory]
    [InlineData("f()", new string[0])]
    [InlineData("openat(AT_FDCWD, NULL, O_RDONLY)", new[] { "AT_FDCWD", "NULL", "O_RDONLY" })]
    [InlineData("f({a=1, b=[2, 3]}, \"x, y\\\"\", 4)", new[] { "{a=1, b=[2, 3]}", "\"x, y\\\"\"", "4" })]
    public void SplitsArgumentsAtTopLevelCommas(string text, string[] expected) => Assert.Equal(expected, SplitArguments(text));

    /// <summary>The arguments of <c>name(a, b, c)</c>, split at commas outside quotes and brackets.</summary>
    internal static List<string> SplitArguments(string call)
    {
        var args = new List<string>();
        int start = call.IndexOf('(') + 1;
        int end = call.LastIndexOf(')');
        int depth = 0;
        bool quoted = false;
        var current = new StringBuilder();
        for (int i = start; i < end; i++)
        {
            char c = call[i];
            if (quoted)
            {
                current.Append(c);
                if (c == '\\' && i + 1 < end)
                {
                    current.Append(call[++i]);
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = true;
                    current.Append(c);
                    break;
                case '(' or '[' or '{':
                    depth++;
                    current.Append(c);
                    break;
                case ')' or ']' or '}':
                    depth--;
                    current.Append(c);
                    break;
                case ',' when depth == 0:
                    args.Add(current.ToString().Trim());
                    current.Clear();
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }
        if (current.Length > 0 || args.Count > 0)
        {
            args.Add(current.ToString().Trim());
        }
        return args;
    }
}
