using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// The int status wait4 stores (argument 1, at exit, when it returned a pid), as strace's
/// <c>printstatus</c>: <c>[{WIFEXITED(s) &amp;&amp; WEXITSTATUS(s) == 0}]</c>,
/// <c>[{WIFSIGNALED(s) &amp;&amp; WTERMSIG(s) == SIGSEGV &amp;&amp; WCOREDUMP(s)}]</c>,
/// <c>[{WIFSTOPPED(s) &amp;&amp; WSTOPSIG(s) == SIGTRAP}|PTRACE_EVENT_FORK&lt;&lt;16]</c>, <c>[{WIFCONTINUED(s)}]</c>.
/// </summary>
/// <remarks>strace prints the pointer when wait4 failed or returned 0 (WNOHANG, no child ready): the caller's case.</remarks>
internal static class WaitStatus
{
    public const int Size = 4;

    private static readonly NameTable PtraceEvents = new(
        "PTRACE_EVENT_???",
        new(1, "PTRACE_EVENT_FORK"),
        new(2, "PTRACE_EVENT_VFORK"),
        new(3, "PTRACE_EVENT_CLONE"),
        new(4, "PTRACE_EVENT_EXEC"),
        new(5, "PTRACE_EVENT_VFORK_DONE"),
        new(6, "PTRACE_EVENT_EXIT"),
        new(7, "PTRACE_EVENT_SECCOMP"),
        new(128, "PTRACE_EVENT_STOP"));

    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 4))
        {
            return false;
        }
        Append(sb, U32(data, 0));
        return true;
    }

    public static void Append(StringBuilder sb, uint status)
    {
        sb.Append('[');
        // The glibc macros, tested in strace's order.
        if ((status & 0xff) == 0x7f)
        {
            uint signal = (status >> 8) & 0xff;
            sb.Append("{WIFSTOPPED(s) && WSTOPSIG(s) == ");
            AppendSignal(sb, signal & 0x7f);
            if ((signal & 0x80) != 0)
            {
                sb.Append(" | 0x80");
            }
            sb.Append('}');
            status &= ~((signal << 8) | 0x7f);
        }
        else if ((sbyte)((status & 0x7f) + 1) >> 1 > 0)
        {
            uint signal = status & 0x7f;
            sb.Append("{WIFSIGNALED(s) && WTERMSIG(s) == ");
            AppendSignal(sb, signal);
            if ((status & 0x80) != 0)
            {
                sb.Append(" && WCOREDUMP(s)");
            }
            sb.Append('}');
            status &= ~(signal | 0x80);
        }
        else if ((status & 0x7f) == 0)
        {
            uint code = (status >> 8) & 0xff;
            sb.Append("{WIFEXITED(s) && WEXITSTATUS(s) == ").Append(code).Append('}');
            status &= ~(code << 8);
        }
        else if (status == 0xffff)
        {
            sb.Append("{WIFCONTINUED(s)}");
            status = 0;
        }
        else
        {
            FlagText.Hex(sb, status);
            sb.Append(']');
            return;
        }
        uint ptraceEvent = status >> 16;
        if (ptraceEvent != 0)
        {
            sb.Append('|');
            PtraceEvents.AppendValue(sb, ptraceEvent);
            sb.Append("<<16");
            status &= 0xffff;
        }
        if (status != 0)
        {
            sb.Append('|');
            FlagText.Hex(sb, status);
        }
        sb.Append(']');
    }

    private static void AppendSignal(StringBuilder sb, uint signal)
    {
        if (SignalArguments.Name(signal) is { } name)
        {
            sb.Append(name);
        }
        else
        {
            sb.Append(signal);
        }
    }
}
