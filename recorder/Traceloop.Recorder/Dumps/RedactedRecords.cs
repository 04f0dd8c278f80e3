using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Decoding.Structs;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>
/// Copies a dump's records into a new buffer with their captured user data redacted, and points
/// the events at the copies. Everything that makes output (text lines, JSON and MessagePack
/// events with their payload bytes, saved dumps, and so Perfetto exports) reads that buffer, so
/// redaction happens once, before any format, and no renderer can forget it.
/// </summary>
/// <remarks>
/// <para>What is redacted, value by value (a match never spans two values):</para>
/// <list type="bullet">
/// <item>string arguments (paths, names) and each argv element apart (its NUL kept);</item>
/// <item>data buffers: read/write/send/recv, readlink, getcwd, getrandom;</item>
/// <item>each iovec buffer of readv/writev/preadv/pwritev and of sendmsg/recvmsg (the iovec
/// array itself, pointers and lengths, is kept);</item>
/// <item>msghdr control data: the whole block is dropped when a pattern matches anywhere in it
/// (its control messages have lengths inside, which a marker of another length would break);
/// the call then shows msg_control as its address;</item>
/// <item>the command name (comm) of every record: replaced whole by the marker when a pattern
/// matches in it, since a program chooses its own name (prctl PR_SET_NAME, the file it executes)
/// and that name is repeated on every line.</item>
/// </list>
/// <para>
/// Not redacted: numbers, flags and structs the kernel copied (stat, timespec, sockaddr, so
/// socket addresses and Unix socket paths too, termios...), signal information, and everything
/// the recorder knows from elsewhere (container and pod names, labels, images).
/// </para>
/// </remarks>
internal static class RedactedRecords
{
    /// <summary>A redacted value longer than this is replaced whole: a record's length is a u16.</summary>
    internal const int MaxValue = 8192;

    private static readonly int EnterSize = Unsafe.SizeOf<tl_enter>();
    private static readonly int ExitSize = Unsafe.SizeOf<tl_exit>();
    private static readonly int PayloadHeaderSize = Unsafe.SizeOf<tl_payload>();
    private static readonly int EnterComm = (int)Marshal.OffsetOf<tl_enter>(nameof(tl_enter.comm));
    private static readonly int SignalComm = (int)Marshal.OffsetOf<tl_signal>(nameof(tl_signal.comm));
    private static readonly int TcpComm = (int)Marshal.OffsetOf<tl_tcp>(nameof(tl_tcp.comm));
    private static readonly int TlsComm = (int)Marshal.OffsetOf<tl_tls>(nameof(tl_tls.comm));
    private static readonly int TlsSize = Marshal.SizeOf<tl_tls>();
    private static readonly int TlsPayloadCountOffset = (int)Marshal.OffsetOf<tl_tls>(nameof(tl_tls.npayloads));
    private static readonly int ProcessExitComm = (int)Marshal.OffsetOf<tl_proc_exit>(nameof(tl_proc_exit.comm));
    private static readonly int LengthOffset = (int)Marshal.OffsetOf<tl_rec>(nameof(tl_rec.len));
    // nr then npayloads follow the header in both tl_enter and tl_exit.
    private static readonly int PayloadCountOffset = (int)Marshal.OffsetOf<tl_enter>(nameof(tl_enter.npayloads));

    /// <summary>
    /// The events' records, redacted, in a new buffer; <paramref name="events"/> are changed to
    /// point into it. Returns the new buffer.
    /// </summary>
    public static byte[] Rewrite(Redactor redactor, ReadOnlySpan<byte> buffer, TraceEvent[] events, RedactionPass pass)
    {
        var output = new ArrayBufferWriter<byte>(Math.Max(4096, buffer.Length / 2));
        Span<ulong> args = stackalloc ulong[6];
        for (int i = 0; i < events.Length; i++)
        {
            ref TraceEvent e = ref events[i];
            args.Clear();
            if (e.Type == TraceEventType.Syscall && e.HasEnter)
            {
                RecordView.Args(buffer, e, args);
            }
            if (e.HasEnter)
            {
                e.EnterOffset = Copy(redactor, pass, buffer, e.EnterOffset, e.Nr, args, output);
            }
            if (e.HasExit)
            {
                e.ExitOffset = Copy(redactor, pass, buffer, e.ExitOffset, e.Nr, args, output);
            }
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Appends one record, redacted; returns where it starts in the output.</summary>
    private static int Copy(Redactor redactor, RedactionPass pass, ReadOnlySpan<byte> buffer, int offset, int nr, ReadOnlySpan<ulong> args, ArrayBufferWriter<byte> output)
    {
        tl_rec h = MemoryMarshal.Read<tl_rec>(buffer[offset..]);
        ReadOnlySpan<byte> record = buffer.Slice(offset, h.len);
        int start = output.WrittenCount;
        (int fixedSize, int comm, int count) = h.kind switch
        {
            RecordKind.Enter => (EnterSize, EnterComm, MemoryMarshal.Read<tl_enter>(record).npayloads),
            RecordKind.Exit => (ExitSize, -1, MemoryMarshal.Read<tl_exit>(record).npayloads),
            RecordKind.Signal => (record.Length, SignalComm, 0),
            RecordKind.ProcessExit => (record.Length, ProcessExitComm, 0),
            RecordKind.Tcp => (record.Length, TcpComm, 0),
            RecordKind.Tls => (TlsSize, TlsComm, MemoryMarshal.Read<tl_tls>(record).npayloads),
            _ => (record.Length, -1, 0),
        };
        fixedSize = Math.Min(fixedSize, record.Length);
        output.Write(record[..fixedSize]);

        bool atExit = h.kind == RecordKind.Exit;
        int position = fixedSize;
        int written = 0;
        for (int i = 0; i < count && position + PayloadHeaderSize <= record.Length; i++)
        {
            tl_payload p = MemoryMarshal.Read<tl_payload>(record[position..]);
            int dataStart = position + PayloadHeaderSize;
            if (dataStart + p.len > record.Length)
            {
                break; // a count the record cannot hold: what follows is dropped, never copied unredacted
            }
            ReadOnlySpan<byte> data = record.Slice(dataStart, p.len);
            position = dataStart + ((p.len + 7) & ~7);
            byte[]? redacted = RedactPayload(redactor, pass, p, data, nr, atExit, args);
            if (redacted is { Length: > MaxValue })
            {
                redacted = Redactor.MarkerBytes.ToArray();
            }
            ReadOnlySpan<byte> kept = redacted ?? data;
            tl_payload copy = p;
            copy.len = (ushort)kept.Length;
            MemoryMarshal.Write(output.GetSpan(PayloadHeaderSize), in copy);
            output.Advance(PayloadHeaderSize);
            output.Write(kept);
            int padding = ((kept.Length + 7) & ~7) - kept.Length;
            output.GetSpan(padding)[..padding].Clear();
            output.Advance(padding);
            written++;
        }

        // ArrayBufferWriter hands its written bytes out read-only; the copy is patched through the memory it owns.
        Span<byte> copied = MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..];
        BinaryPrimitives.WriteUInt16LittleEndian(copied[LengthOffset..], (ushort)copied.Length);
        if (h.kind is RecordKind.Enter or RecordKind.Exit && fixedSize >= PayloadCountOffset + 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(copied[PayloadCountOffset..], (ushort)written);
        }
        else if (h.kind == RecordKind.Tls && fixedSize >= TlsPayloadCountOffset + 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(copied[TlsPayloadCountOffset..], (ushort)written);
        }
        if (comm >= 0 && comm + RecordLayout.CommLength <= fixedSize)
        {
            RedactComm(redactor, pass, copied.Slice(comm, RecordLayout.CommLength));
        }
        return start;
    }

    /// <summary>The command name: replaced whole by the marker (NUL-padded) when a pattern matches in it.</summary>
    private static void RedactComm(Redactor redactor, RedactionPass pass, Span<byte> comm)
    {
        (ulong, ulong) key = (MemoryMarshal.Read<ulong>(comm), MemoryMarshal.Read<ulong>(comm[8..]));
        if (!pass.Comms.TryGetValue(key, out byte[]? replacement))
        {
            int nul = comm.IndexOf((byte)0);
            if (redactor.Redact(nul < 0 ? comm : comm[..nul], pass) is not null)
            {
                replacement = new byte[RecordLayout.CommLength];
                Redactor.MarkerBytes.CopyTo(replacement);
            }
            pass.Comms[key] = replacement;
        }
        replacement?.CopyTo(comm);
    }

    private static byte[]? RedactPayload(Redactor redactor, RedactionPass pass, in tl_payload p, ReadOnlySpan<byte> data, int nr, bool atExit, ReadOnlySpan<ulong> args)
    {
        if ((p.flags & PayloadFlags.Fault) != 0 || data.IsEmpty)
        {
            return null;
        }
        switch (p.kind)
        {
            case PayloadKind.String:
                return redactor.Redact(data, pass);
            case PayloadKind.StringArray:
                return RedactStringArray(redactor, pass, data);
            case PayloadKind.Bytes:
                return CaptureTable.StructFor(nr, p.arg, atExit, args) switch
                {
                    null => redactor.Redact(data, pass), // a data buffer (the structs all have a renderer's capture)
                    { Kind: StructKind.IoVec } => RedactIoVec(redactor, pass, data),
                    { Kind: StructKind.MsgHdr } => RedactMsgHdr(redactor, pass, data),
                    _ => null,
                };
            default:
                return null;
        }
    }

    /// <summary>argv: each element alone, so a pattern's anchors are the element's ends and the NULs stay.</summary>
    private static byte[]? RedactStringArray(Redactor redactor, RedactionPass pass, ReadOnlySpan<byte> data)
    {
        ArrayBufferWriter<byte>? output = null;
        int copied = 0;
        int position = 0;
        while (position < data.Length)
        {
            int nul = data[position..].IndexOf((byte)0);
            int end = nul < 0 ? data.Length : position + nul;
            if (redactor.Redact(data[position..end], pass) is { } redacted)
            {
                output ??= new ArrayBufferWriter<byte>(data.Length + Redactor.Marker.Length);
                output.Write(data[copied..position]);
                output.Write(redacted);
                copied = end;
            }
            position = end + 1;
        }
        if (output is null)
        {
            return null;
        }
        output.Write(data[copied..]);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The iovec composite (see <see cref="IoVec"/>): the header and the array as they are, each
    /// buffer redacted with its length (<c>got</c>) set to the redacted size. Bytes past what the
    /// layout accounts for are redacted as one value, never copied as they are.
    /// </summary>
    private static byte[]? RedactIoVec(Redactor redactor, RedactionPass pass, ReadOnlySpan<byte> data)
    {
        if (data.Length < IoVec.HeaderSize)
        {
            return redactor.Redact(data, pass);
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(data);
        long arrayEnd = IoVec.HeaderSize + ((long)count * IoVec.IovecSize);
        if (arrayEnd >= data.Length)
        {
            return null; // the array alone (or part of it): addresses and lengths
        }
        var output = new ArrayBufferWriter<byte>(data.Length + Redactor.Marker.Length);
        output.Write(data[..(int)arrayEnd]);
        bool changed = false;
        int cursor = (int)arrayEnd;
        for (uint i = 0; i < count && cursor + 4 <= data.Length; i++)
        {
            uint got = BinaryPrimitives.ReadUInt32LittleEndian(data[cursor..]);
            if (got > (uint)(data.Length - cursor - 4))
            {
                break;
            }
            ReadOnlySpan<byte> bytes = data.Slice(cursor + 4, (int)got);
            byte[]? redacted = redactor.Redact(bytes, pass);
            ReadOnlySpan<byte> kept = redacted ?? bytes;
            changed |= redacted is not null;
            BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), (uint)kept.Length);
            output.Advance(4);
            output.Write(kept);
            cursor += 4 + (int)got;
        }
        if (cursor < data.Length)
        {
            ReadOnlySpan<byte> rest = data[cursor..];
            byte[]? redacted = redactor.Redact(rest, pass);
            changed |= redacted is not null;
            output.Write(redacted ?? rest);
        }
        return changed ? output.WrittenSpan.ToArray() : null;
    }

    /// <summary>
    /// The msghdr composite (see <see cref="MsgHdr"/>): the header and the address as they are, the
    /// iovec buffers redacted, the control data dropped (length 0) when a pattern matches in it.
    /// </summary>
    private static byte[]? RedactMsgHdr(Redactor redactor, RedactionPass pass, ReadOnlySpan<byte> data)
    {
        if (data.Length < MsgHdr.Size)
        {
            return null; // pointers and lengths only
        }
        var output = new ArrayBufferWriter<byte>(data.Length + Redactor.Marker.Length);
        output.Write(data[..MsgHdr.Size]);
        ReadOnlySpan<byte> rest = data[MsgHdr.Size..];
        bool changed = false;

        // msg_name: a socket address, kept.
        int nameBlock = Block(rest);
        output.Write(rest[..nameBlock]);
        rest = rest[nameBlock..];

        int iovBlock = IoVec.Measure(rest);
        ReadOnlySpan<byte> iov = rest[..iovBlock];
        byte[]? redactedIov = RedactIoVec(redactor, pass, iov);
        changed |= redactedIov is not null;
        output.Write(redactedIov ?? iov);
        rest = rest[iovBlock..];

        if (rest.Length >= 4)
        {
            int controlBlock = Block(rest);
            ReadOnlySpan<byte> control = rest[4..controlBlock];
            if (redactor.Redact(control, pass) is not null)
            {
                changed = true;
                BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), 0);
                output.Advance(4);
            }
            else
            {
                output.Write(rest[..controlBlock]);
            }
            rest = rest[controlBlock..];
        }
        if (!rest.IsEmpty)
        {
            byte[]? redacted = redactor.Redact(rest, pass);
            changed |= redacted is not null;
            output.Write(redacted ?? rest);
        }
        return changed ? output.WrittenSpan.ToArray() : null;
    }

    /// <summary>The bytes of a u32-length-prefixed block at the start of <paramref name="rest"/>, prefix included, as far as they are there.</summary>
    private static int Block(ReadOnlySpan<byte> rest)
    {
        if (rest.Length < 4)
        {
            return rest.Length;
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
        return 4 + (int)Math.Min(length, (uint)(rest.Length - 4));
    }
}
