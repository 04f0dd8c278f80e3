using System.Globalization;
using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Decoding;

/// <summary>
/// An event as text in the shape of <c>strace -f -tt -T</c>: <c>openat(AT_FDCWD, "/x", 0, 0) = -1 ENOENT (No such file or directory) &lt;0.000012&gt;</c>.
/// Dumps/DumpLine puts the time (UTC), pid and command in front to make a dump line.
/// </summary>
internal static class StraceText
{
    private const int MaxErrno = 4095;
    private const int ERESTARTSYS = 512;
    private const int ERESTART_RESTARTBLOCK = 516;

    /// <summary>
    /// What a dump line shows after the pid and command: the call, the process exit or the signal.
    /// It formats into the builder and allocates nothing; Dumps/DumpLine puts the line around it.
    /// </summary>
    public static void AppendEvent(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        if (e.Type == TraceEventType.ProcessExit)
        {
            AppendProcessExit(sb, RecordView.ProcessExit(buffer, e));
        }
        else if (e.Type == TraceEventType.Signal)
        {
            AppendSignal(sb, RecordView.Signal(buffer, e));
        }
        else if (e.Type == TraceEventType.Tcp)
        {
            TcpText.AppendLine(sb, RecordView.Tcp(buffer, e));
        }
        else if (e.Type == TraceEventType.Tls)
        {
            TlsText.AppendLine(sb, buffer, e);
        }
        else
        {
            AppendCall(sb, buffer, e);
        }
    }

    /// <summary><c>HH:MM:SS.uuuuuu</c> of a Unix time in ns, UTC.</summary>
    public static void AppendTimeOfDay(StringBuilder sb, long unixNs)
    {
        long micros = unixNs / 1000;
        long ofDay = (long)((ulong)micros % 86_400_000_000UL);
        AppendPadded(sb, (ulong)(ofDay / 3_600_000_000), 2);
        sb.Append(':');
        AppendPadded(sb, (ulong)(ofDay / 60_000_000 % 60), 2);
        sb.Append(':');
        AppendPadded(sb, (ulong)(ofDay / 1_000_000 % 60), 2);
        sb.Append('.');
        AppendPadded(sb, (ulong)(ofDay % 1_000_000), 6);
    }

    private static void AppendPadded(StringBuilder sb, ulong value, int digits)
    {
        Span<char> text = stackalloc char[20];
        for (int i = digits - 1; i >= 0; i--)
        {
            text[i] = (char)('0' + value % 10);
            value /= 10;
        }
        sb.Append(text[..digits]);
    }

    /// <summary>The <c>name(args) = ret</c> part alone.</summary>
    public static void AppendCall(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        string name = SyscallTable.Name(e.Nr);
        if (!e.HasEnter)
        {
            sb.Append("<... ").Append(name).Append(" resumed>)");
        }
        else
        {
            sb.Append(name).Append('(');
            AppendArgs(sb, buffer, e);
            sb.Append(')');
        }
        switch (e.Completion)
        {
            case SyscallCompletion.Unfinished:
                sb.Append(" <unfinished ...>");
                return;
            case SyscallCompletion.NoReturn:
                sb.Append(" = ?");
                return;
            case SyscallCompletion.ExitLost:
                sb.Append(" = ? <exit not recorded>");
                return;
        }
        sb.Append(" = ");
        Span<ulong> args = stackalloc ulong[6];
        if (e.HasEnter)
        {
            RecordView.Args(buffer, e, args);
        }
        if (!e.HasEnter || !Flags.ArgumentDecoders.TryAppendReturn(e.Nr, args, e.Ret, sb))
        {
            AppendReturn(sb, e.Ret);
        }
        if (e.HasEnter)
        {
            AppendReturnDetail(sb, buffer, e, args);
        }
        if (e.HasEnter)
        {
            ulong micros = e.DurationNs / 1000;
            sb.Append(" <").Append(micros / 1_000_000).Append('.');
            AppendPadded(sb, micros % 1_000_000, 6);
            sb.Append('>');
        }
    }

    public static void AppendArgs(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        Span<ulong> args = stackalloc ulong[6];
        RecordView.Args(buffer, e, args);
        Span<int> order = stackalloc int[6];
        int count = Flags.ArgumentDecoders.GetPrintedArgs(e.Nr, args, order);
        for (int k = 0; k < count; k++)
        {
            if (k > 0)
            {
                sb.Append(", ");
            }
            AppendArg(sb, buffer, e, order[k], args);
        }
    }

    /// <summary>
    /// One argument: what the kernel read from user memory for it first (a string, argv, a
    /// buffer), else strace's rendering of the raw value (flags, modes, signals), else the
    /// value by its type.
    /// </summary>
    public static void AppendArg(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e, int index, ReadOnlySpan<ulong> args)
    {
        bool has = RecordView.TryGetPayload(buffer, e, index, out Payload payload);
        PayloadShape shape = CaptureTable.ShapeOf(e.Nr, index);
        if (has && ArgumentText.TryAppendPayload(sb, args[index], payload, shape))
        {
            return;
        }
        if (has && TryAppendStruct(sb, buffer, e, index, args))
        {
            return;
        }
        if (Flags.ArgumentDecoders.TryAppend(e.Nr, index, args, sb))
        {
            return;
        }
        SyscallParam[] parameters = SyscallTable.Get(e.Nr)?.Params ?? SyscallInfo.RawArgs;
        ParamKind kind = index < parameters.Length ? parameters[index].Kind : ParamKind.Unknown;
        ArgumentText.Append(sb, kind, args[index], default, false);
    }

    /// <summary>A struct the kernel copied for this argument, rendered as strace does (what was written at exit first).</summary>
    private static bool TryAppendStruct(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e, int index, ReadOnlySpan<ulong> args)
    {
        foreach (bool atExit in (ReadOnlySpan<bool>)[true, false])
        {
            if (CaptureTable.StructFor(e.Nr, index, atExit, args) is not { } capture || capture.AfterReturn)
            {
                continue;
            }
            Payload payload;
            bool found = atExit ? RecordView.TryGetExitPayload(buffer, e, index, out payload) : RecordView.TryGetEnterPayload(buffer, e, index, out payload);
            if (!found || (payload.Flags & PayloadFlags.Fault) != 0)
            {
                continue;
            }
            (int before, int after) = SocketLengths(buffer, e);
            int start = sb.Length;
            if (Structs.StructDecoders.TryAppend(sb, capture, payload.Data, args, e.HasExit ? e.Ret : 0, before, after))
            {
                return true;
            }
            sb.Length = start;
        }
        return false;
    }

    private static readonly int s_poll = SyscallTable.TryGetNumber("poll", out int nr) ? nr : -1;
    private static readonly int s_ppoll = SyscallTable.TryGetNumber("ppoll", out int nr) ? nr : -1;
    private static readonly int s_pselect6 = SyscallTable.TryGetNumber("pselect6", out int nr) ? nr : -1;

    /// <summary>What strace appends to a return value from the memory the call wrote: poll's revents, pselect6's ready sets, the time left.</summary>
    private static void AppendReturnDetail(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e, ReadOnlySpan<ulong> args)
    {
        if (e.Nr == s_poll || e.Nr == s_ppoll)
        {
            ReadOnlySpan<byte> left = e.Nr == s_ppoll && args[2] != 0 ? ExitData(buffer, e, 2) : default;
            Structs.Poll.TryAppendResult(sb, ExitData(buffer, e, 0), args[1], e.Ret, left);
        }
        else if (e.Nr == s_pselect6)
        {
            Structs.FdSet.TryAppendResult(sb, ExitData(buffer, e, 1), ExitData(buffer, e, 2), ExitData(buffer, e, 3), args[1..4], args[0], e.Ret,
                args[4] != 0 ? ExitData(buffer, e, 4) : default);
        }
    }

    private static ReadOnlySpan<byte> ExitData(ReadOnlySpan<byte> buffer, in TraceEvent e, int arg) =>
        RecordView.TryGetExitPayload(buffer, e, arg, out Payload payload) && (payload.Flags & PayloadFlags.Fault) == 0 ? payload.Data : default;

    /// <summary>A value-result socklen_t as the program passed it and as the kernel left it, or -1.</summary>
    private static (int Before, int After) SocketLengths(ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        if (CaptureTable.SockLenArg(e.Nr) is not { } arg)
        {
            return (-1, -1);
        }
        int before = RecordView.TryGetEnterPayload(buffer, e, arg, out Payload b) && b.Data.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(b.Data) : -1;
        int after = RecordView.TryGetExitPayload(buffer, e, arg, out Payload a) && a.Data.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(a.Data) : -1;
        return (before, after);
    }

    public static void AppendReturn(StringBuilder sb, long ret)
    {
        if (ret < 0 && ret >= -MaxErrno)
        {
            int errno = (int)-ret;
            // The kernel's restart codes (512-516) never reach the program: the syscall is
            // restarted or fails with EINTR, so there is no return value to show.
            sb.Append(errno is >= ERESTARTSYS and <= ERESTART_RESTARTBLOCK ? "? " : "-1 ").Append(ErrnoTable.Name(errno) ?? $"E{errno}");
            if (ErrnoTable.Message(errno) is { } message)
            {
                sb.Append(" (").Append(message).Append(')');
            }
            return;
        }
        sb.Append(ret);
    }

    public static unsafe void AppendSignal(StringBuilder sb, in tl_signal x)
    {
        fixed (byte* info = x.info)
        {
            SignalInfo.AppendLine(sb, x.signo, x.code, new ReadOnlySpan<byte>(info, 48));
        }
    }

    public static void AppendProcessExit(StringBuilder sb, in tl_proc_exit x)
    {
        int status = x.exit_code;
        int signal = status & 0x7f;
        // strace prints the same line for a thread and for a process (is_leader says which, in JSON).
        string who = "";
        if (signal == 0)
        {
            sb.Append("+++ ").Append(who).Append("exited with ").Append((status >> 8) & 0xff).Append(" +++");
        }
        else
        {
            sb.Append("+++ ").Append(who).Append("killed by ").Append(SignalNames.Name(signal));
            if ((status & 0x80) != 0)
            {
                sb.Append(" (core dumped)");
            }
            sb.Append(" +++");
        }
    }
}
