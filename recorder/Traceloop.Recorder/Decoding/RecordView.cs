using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Decoding;

/// <summary>A payload of a record: bytes read from user memory for one argument.</summary>
internal readonly ref struct Payload
{
    public Payload(PayloadKind kind, int arg, PayloadFlags flags, ReadOnlySpan<byte> data)
    {
        Kind = kind;
        Arg = arg;
        Flags = flags;
        Data = data;
    }

    public PayloadKind Kind { get; }

    public int Arg { get; }

    public PayloadFlags Flags { get; }

    public ReadOnlySpan<byte> Data { get; }

    public bool Truncated => (Flags & PayloadFlags.Truncated) != 0;
}

/// <summary>Typed reads of the records a <see cref="TraceEvent"/> points at.</summary>
internal static class RecordView
{
    public static unsafe ulong Arg(ReadOnlySpan<byte> buffer, in TraceEvent e, int index)
    {
        tl_enter enter = MemoryMarshal.Read<tl_enter>(buffer[e.EnterOffset..]);
        return enter.args[index];
    }

    /// <summary>All six argument registers of the enter record.</summary>
    public static unsafe void Args(ReadOnlySpan<byte> buffer, in TraceEvent e, Span<ulong> args)
    {
        tl_enter enter = MemoryMarshal.Read<tl_enter>(buffer[e.EnterOffset..]);
        for (int i = 0; i < 6; i++)
        {
            args[i] = enter.args[i];
        }
    }

    /// <summary>The command name of the thread, from the enter record (or the process-exit record).</summary>
    public static unsafe string Comm(ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        if (e.Type == TraceEventType.ProcessExit)
        {
            tl_proc_exit x = MemoryMarshal.Read<tl_proc_exit>(buffer[e.EnterOffset..]);
            return CommString(new ReadOnlySpan<byte>(x.comm, RecordLayout.CommLength));
        }
        if (e.Type == TraceEventType.Signal)
        {
            tl_signal sig = MemoryMarshal.Read<tl_signal>(buffer[e.EnterOffset..]);
            return CommString(new ReadOnlySpan<byte>(sig.comm, RecordLayout.CommLength));
        }
        if (e.Type == TraceEventType.Tls)
        {
            tl_tls tls = MemoryMarshal.Read<tl_tls>(buffer[e.EnterOffset..]);
            return CommString(new ReadOnlySpan<byte>(tls.comm, RecordLayout.CommLength));
        }
        if (e.Type == TraceEventType.Tcp)
        {
            tl_tcp tcp = MemoryMarshal.Read<tl_tcp>(buffer[e.EnterOffset..]);
            return CommString(new ReadOnlySpan<byte>(tcp.comm, RecordLayout.CommLength));
        }
        if (!e.HasEnter)
        {
            return "?";
        }
        tl_enter enter = MemoryMarshal.Read<tl_enter>(buffer[e.EnterOffset..]);
        return CommString(new ReadOnlySpan<byte>(enter.comm, RecordLayout.CommLength));
    }

    /// <summary>Appends the thread's command name without making a string of it.</summary>
    public static unsafe void AppendComm(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        int offset;
        switch (e.Type)
        {
            case TraceEventType.ProcessExit: offset = (int)Marshal.OffsetOf<tl_proc_exit>(nameof(tl_proc_exit.comm)); break;
            case TraceEventType.Signal: offset = (int)Marshal.OffsetOf<tl_signal>(nameof(tl_signal.comm)); break;
            case TraceEventType.Tcp: offset = (int)Marshal.OffsetOf<tl_tcp>(nameof(tl_tcp.comm)); break;
            case TraceEventType.Tls: offset = (int)Marshal.OffsetOf<tl_tls>(nameof(tl_tls.comm)); break;
            default:
                if (!e.HasEnter)
                {
                    sb.Append('?');
                    return;
                }
                offset = (int)Marshal.OffsetOf<tl_enter>(nameof(tl_enter.comm));
                break;
        }
        AppendCommBytes(sb, buffer.Slice(e.EnterOffset + offset, RecordLayout.CommLength));
    }

    /// <summary>
    /// A command name as a dump line shows it, up to its NUL. comm is bytes any process sets
    /// (prctl PR_SET_NAME): anything outside printable ASCII shows as '?', never as a broken char
    /// or a terminal escape sequence.
    /// </summary>
    public static void AppendCommBytes(StringBuilder sb, ReadOnlySpan<byte> comm)
    {
        int nul = comm.IndexOf((byte)0);
        comm = nul < 0 ? comm : comm[..nul];
        foreach (byte b in comm)
        {
            sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        }
    }

    /// <summary>
    /// A command name already decoded from the record (a saved dump's event), escaped as
    /// <see cref="AppendCommBytes"/> escapes the record's bytes: null (no enter record) shows as '?'.
    /// </summary>
    public static void AppendComm(StringBuilder sb, string? comm)
    {
        if (comm is null)
        {
            sb.Append('?');
            return;
        }
        // The kernel's names are at most 15 bytes; a longer one comes from a file and may be any size.
        int length = Encoding.UTF8.GetByteCount(comm);
        Span<byte> bytes = length <= 64 ? stackalloc byte[64] : new byte[length];
        AppendCommBytes(sb, bytes[..Encoding.UTF8.GetBytes(comm, bytes)]);
    }

    public static tl_proc_exit ProcessExit(ReadOnlySpan<byte> buffer, in TraceEvent e) =>
        MemoryMarshal.Read<tl_proc_exit>(buffer[e.EnterOffset..]);

    public static bool IsTruncated(ReadOnlySpan<byte> buffer, in TraceEvent e) =>
        e.HasEnter && (MemoryMarshal.Read<tl_rec>(buffer[e.EnterOffset..]).flags & RecordFlags.Truncated) != 0;

    /// <summary>
    /// The payload of argument <paramref name="arg"/>: what the exit record holds for it (an
    /// output buffer, or a string read again because it was not paged in at entry), else
    /// what the enter record holds.
    /// </summary>
    public static bool TryGetPayload(ReadOnlySpan<byte> buffer, scoped in TraceEvent e, int arg, out Payload payload) =>
        TryGetExitPayload(buffer, e, arg, out payload) || TryGetEnterPayload(buffer, e, arg, out payload);

    public static bool TryGetEnterPayload(ReadOnlySpan<byte> buffer, scoped in TraceEvent e, int arg, out Payload payload)
    {
        payload = default;
        if (!e.HasEnter || e.Type != TraceEventType.Syscall)
        {
            return false;
        }
        tl_enter enter = MemoryMarshal.Read<tl_enter>(buffer[e.EnterOffset..]);
        return FindPayload(buffer.Slice(e.EnterOffset, enter.h.len), Marshal.SizeOf<tl_enter>(), enter.npayloads, arg, out payload);
    }

    public static bool TryGetExitPayload(ReadOnlySpan<byte> buffer, scoped in TraceEvent e, int arg, out Payload payload)
    {
        payload = default;
        if (!e.HasExit)
        {
            return false;
        }
        tl_exit exit = MemoryMarshal.Read<tl_exit>(buffer[e.ExitOffset..]);
        return FindPayload(buffer.Slice(e.ExitOffset, exit.h.len), Marshal.SizeOf<tl_exit>(), exit.npayloads, arg, out payload);
    }

    private static bool FindPayload(ReadOnlySpan<byte> record, int offset, int count, int arg, out Payload payload)
    {
        payload = default;
        for (int i = 0; i < count; i++)
        {
            if (offset + Marshal.SizeOf<tl_payload>() > record.Length)
            {
                return false; // a count the record cannot hold: say nothing rather than misread
            }
            tl_payload p = MemoryMarshal.Read<tl_payload>(record[offset..]);
            int start = offset + Marshal.SizeOf<tl_payload>();
            if (start + p.len > record.Length)
            {
                return false;
            }
            if (p.arg == arg)
            {
                payload = new Payload(p.kind, p.arg, p.flags, record.Slice(start, p.len));
                return true;
            }
            offset = start + ((p.len + 7) & ~7);
        }
        return false;
    }

    public static tl_signal Signal(ReadOnlySpan<byte> buffer, in TraceEvent e) =>
        MemoryMarshal.Read<tl_signal>(buffer[e.EnterOffset..]);

    public static tl_tcp Tcp(ReadOnlySpan<byte> buffer, in TraceEvent e) =>
        MemoryMarshal.Read<tl_tcp>(buffer[e.EnterOffset..]);

    public static tl_tls Tls(ReadOnlySpan<byte> buffer, in TraceEvent e) =>
        MemoryMarshal.Read<tl_tls>(buffer[e.EnterOffset..]);

    /// <summary>A TLS record's plaintext: its first payload, when it has one that fits the record.</summary>
    public static bool TryGetTlsPayload(ReadOnlySpan<byte> buffer, scoped in TraceEvent e, out Payload payload)
    {
        payload = default;
        tl_tls x = Tls(buffer, e);
        int start = Unsafe.SizeOf<tl_tls>();
        ReadOnlySpan<byte> record = buffer.Slice(e.EnterOffset, x.h.len);
        if (x.npayloads == 0 || record.Length < start + Unsafe.SizeOf<tl_payload>())
        {
            return false;
        }
        tl_payload p = MemoryMarshal.Read<tl_payload>(record[start..]);
        int data = start + Unsafe.SizeOf<tl_payload>();
        if (data + p.len > record.Length)
        {
            return false;
        }
        payload = new Payload(p.kind, p.arg, p.flags, record.Slice(data, p.len));
        return true;
    }

    private static string CommString(ReadOnlySpan<byte> comm)
    {
        int nul = comm.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? comm : comm[..nul]);
    }
}
