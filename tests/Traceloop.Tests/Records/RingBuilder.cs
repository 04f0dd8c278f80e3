using System.Buffers.Binary;
using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Records;

/// <summary>A payload to put after an enter record's fixed part.</summary>
internal readonly record struct PayloadSpec(PayloadKind Kind, byte Arg, byte[] Data, PayloadFlags Flags = PayloadFlags.None)
{
    public static PayloadSpec String(byte arg, string text, PayloadFlags flags = PayloadFlags.None) =>
        new(PayloadKind.String, arg, Encoding.UTF8.GetBytes(text), flags);

    public static PayloadSpec Bytes(byte arg, byte[] data) => new(PayloadKind.Bytes, arg, data);
}

/// <summary>One reservation the emulated kernel made, committed or not.</summary>
internal sealed class WrittenRecord
{
    public required ulong Position { get; init; }

    /// <summary>The full record counter value at reservation; the record holds its low 32 bits.</summary>
    public required ulong Sequence { get; init; }

    public required int Length { get; init; }

    public required RecordKind Kind { get; init; }

    public required uint Pid { get; init; }

    public required uint Tid { get; init; }

    public required ulong Timestamp { get; init; }

    /// <summary>Syscall number for enter and exit records; -1 for process exits.</summary>
    public required int Nr { get; init; }

    /// <summary>Offset of the record in the mapping (header included).</summary>
    public required int MappingOffset { get; init; }

    /// <summary>Offset of the record in a snapshot's buffer, which starts at the data area.</summary>
    public int DataOffset => MappingOffset - RingBuilder.HeaderSize;

    public bool Committed { get; set; }
}

/// <summary>
/// Writes a ring the way bpf/traceloop.bpf.c does, into a byte array laid out like the ring
/// map value: [tl_ring_hdr][data: size bytes][overhang: TL_MAX_RECORD bytes]. Reservations
/// add to head and records; a record goes to data[pos &amp; (size - 1)] and runs on into the
/// overhang instead of wrapping; the body is written first, only the bytes the kernel writes
/// (payload padding keeps whatever was there), and the tag (pos ^ key) last.
/// Fields are written at the offsets of the C header, not through the C# mirror, so the
/// reader is checked against the C layout.
/// </summary>
internal sealed class RingBuilder
{
    public const int HeaderSize = 64;
    public const int Overhang = 4096;
    public const int EnterSize = 104;
    public const int ExitSize = 48;
    public const int ProcessExitSize = 56;
    public const int PayloadHeaderSize = 8;
    public const ulong DefaultKey = 0x9e3779b97f4a7c15;

    private readonly List<WrittenRecord> _written = [];

    public RingBuilder(int size, ulong key = DefaultKey)
    {
        if (size <= 0 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "a ring's data size is a power of two");
        }
        Size = size;
        Key = key;
        Mapping = new byte[HeaderSize + size + Overhang];
        WriteHeader(key: key, size: (ulong)size);
    }

    /// <summary>The whole map value, as RingSnapshot.Take sees it.</summary>
    public byte[] Mapping { get; }

    public int Size { get; }

    public ulong Key { get; }

    public ulong Head => BinaryPrimitives.ReadUInt64LittleEndian(Mapping.AsSpan(0));

    public ulong RecordsReserved => BinaryPrimitives.ReadUInt64LittleEndian(Mapping.AsSpan(8));

    /// <summary>Every reservation so far, oldest first.</summary>
    public IReadOnlyList<WrittenRecord> Written => _written;

    public RingSnapshot Snapshot() => RingSnapshot.Take(Mapping);

    /// <summary>
    /// The records a correct reader must return: committed, and reserved at or after
    /// head - size (older space may have been overwritten).
    /// </summary>
    public List<WrittenRecord> ExpectedHeld()
    {
        ulong head = Head;
        ulong start = head > (ulong)Size ? head - (ulong)Size : 0;
        return _written.Where(r => r.Committed && r.Position >= start).ToList();
    }

    /// <summary>Records reserved before the newest held one that a correct reader cannot return.</summary>
    public long ExpectedLost()
    {
        List<WrittenRecord> held = ExpectedHeld();
        return held.Count == 0 ? 0 : (long)(held.Max(r => r.Sequence) + 1) - held.Count;
    }

    /// <summary>Overwrites header fields, for corrupt-header cases.</summary>
    public void WriteHeader(ulong? head = null, ulong? records = null, ulong? key = null, ulong? size = null)
    {
        Span<byte> h = Mapping.AsSpan(0, HeaderSize);
        if (head is { } hd)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(h, hd);
        }
        if (records is { } r)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], r);
        }
        if (key is { } k)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(h[16..], k);
        }
        if (size is { } s)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(h[24..], s);
        }
    }

    public WrittenRecord Enter(
        uint pid,
        uint tid,
        int nr,
        ulong ts,
        ulong[]? args = null,
        string comm = "test",
        PayloadSpec[]? payloads = null,
        bool commit = true)
    {
        payloads ??= [];
        int len = EnterSize;
        foreach (PayloadSpec p in payloads)
        {
            len += PayloadHeaderSize + Align8(p.Data.Length);
        }
        var flags = payloads.Any(p => (p.Flags & PayloadFlags.Truncated) != 0) ? RecordFlags.Truncated : RecordFlags.None;

        WrittenRecord rec = Reserve(len, RecordKind.Enter, pid, tid, ts, nr);
        Span<byte> body = Mapping.AsSpan(rec.MappingOffset, len);
        FillHeader(body, rec, flags);
        BinaryPrimitives.WriteUInt32LittleEndian(body[32..], (uint)nr);
        BinaryPrimitives.WriteUInt16LittleEndian(body[36..], (ushort)payloads.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(body[38..], 0);
        WriteComm(body.Slice(40, 16), comm);
        for (int i = 0; i < 6; i++)
        {
            ulong a = args is not null && i < args.Length ? args[i] : 0;
            BinaryPrimitives.WriteUInt64LittleEndian(body[(56 + 8 * i)..], a);
        }
        WritePayloads(body[EnterSize..], payloads);
        return Finish(rec, commit);
    }

    private static void WritePayloads(Span<byte> body, PayloadSpec[] payloads)
    {
        int off = 0;
        foreach (PayloadSpec p in payloads)
        {
            body[off] = (byte)p.Kind;
            body[off + 1] = p.Arg;
            body[off + 2] = (byte)p.Flags;
            body[off + 3] = 0;
            BinaryPrimitives.WriteUInt16LittleEndian(body[(off + 4)..], (ushort)p.Data.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(body[(off + 6)..], 0);
            // bpf_probe_read_kernel copies exactly len bytes; the padding keeps stale bytes.
            p.Data.CopyTo(body[(off + PayloadHeaderSize)..]);
            off += PayloadHeaderSize + Align8(p.Data.Length);
        }
    }

    public WrittenRecord Exit(uint pid, uint tid, int nr, long ret, ulong ts, bool commit = true, PayloadSpec[]? payloads = null)
    {
        payloads ??= [];
        int len = ExitSize;
        foreach (PayloadSpec p in payloads)
        {
            len += PayloadHeaderSize + Align8(p.Data.Length);
        }
        WrittenRecord rec = Reserve(len, RecordKind.Exit, pid, tid, ts, nr);
        Span<byte> body = Mapping.AsSpan(rec.MappingOffset, len);
        FillHeader(body, rec, RecordFlags.None);
        BinaryPrimitives.WriteUInt32LittleEndian(body[32..], (uint)nr);
        BinaryPrimitives.WriteUInt16LittleEndian(body[36..], (ushort)payloads.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(body[38..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(body[40..], ret);
        WritePayloads(body[ExitSize..], payloads);
        return Finish(rec, commit);
    }

    public WrittenRecord ProcessExit(uint pid, uint tid, int exitCode, bool isLeader, ulong ts, string comm = "test", bool commit = true)
    {
        WrittenRecord rec = Reserve(ProcessExitSize, RecordKind.ProcessExit, pid, tid, ts, -1);
        Span<byte> body = Mapping.AsSpan(rec.MappingOffset, ProcessExitSize);
        FillHeader(body, rec, RecordFlags.None);
        BinaryPrimitives.WriteInt32LittleEndian(body[32..], exitCode);
        BinaryPrimitives.WriteUInt32LittleEndian(body[36..], isLeader ? 1u : 0u);
        WriteComm(body.Slice(40, 16), comm);
        return Finish(rec, commit);
    }

    /// <summary>Writes the tag of a reservation made with commit: false (a CPU that finished late).</summary>
    public void Commit(WrittenRecord rec)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Mapping.AsSpan(rec.MappingOffset), rec.Position ^ Key);
        rec.Committed = true;
    }

    /// <summary>Overwrites bytes of a record, counting from its first byte (the tag).</summary>
    public void Corrupt(WrittenRecord rec, int offsetInRecord, ReadOnlySpan<byte> bytes) =>
        bytes.CopyTo(Mapping.AsSpan(rec.MappingOffset + offsetInRecord));

    /// <summary>Sets the len field of a committed record's header.</summary>
    public void CorruptLength(WrittenRecord rec, ushort len) =>
        BinaryPrimitives.WriteUInt16LittleEndian(Mapping.AsSpan(rec.MappingOffset + 12), len);

    /// <summary>
    /// Writes filler records (of <paramref name="pid"/>) until the next reservation lands at
    /// data offset <paramref name="dataOffset"/> (a multiple of 8), going round the ring if the
    /// gap is too short to fill.
    /// </summary>
    public void AdvanceTo(int dataOffset, uint pid = 1, ulong ts = 1)
    {
        int mask = Size - 1;
        int gap = (dataOffset - (int)(Head & (ulong)mask) + Size) & mask;
        if (gap != 0 && gap < EnterSize + PayloadHeaderSize && gap is not (ExitSize or ProcessExitSize or EnterSize))
        {
            gap += Size;
        }
        while (gap > 0)
        {
            int len = gap switch
            {
                ExitSize or ProcessExitSize or EnterSize => gap,
                <= Overhang => gap,
                _ when gap - Overhang >= EnterSize + PayloadHeaderSize => Overhang,
                _ => gap - (EnterSize + PayloadHeaderSize),
            };
            switch (len)
            {
                case ExitSize:
                    Exit(pid, pid, 39, pid, ts);
                    break;
                case ProcessExitSize:
                    ProcessExit(pid, pid, 0, isLeader: true, ts);
                    break;
                case EnterSize:
                    Enter(pid, pid, 39, ts);
                    break;
                default:
                    Enter(pid, pid, 39, ts, payloads: [PayloadSpec.Bytes(5, new byte[len - EnterSize - PayloadHeaderSize])]);
                    break;
            }
            gap -= len;
        }
    }

    /// <summary>
    /// The bytes of a record header the recorded container might write into a buffer,
    /// claiming to be a record at <paramref name="position"/> committed with <paramref name="key"/>.
    /// </summary>
    public static byte[] ForgedHeader(ulong position, ulong key, ushort len, RecordKind kind, uint seq, uint pid = 666, uint tid = 666)
    {
        var b = new byte[Math.Max((int)len, 32)];
        BinaryPrimitives.WriteUInt64LittleEndian(b, position ^ key);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), seq);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(12), len);
        b[14] = (byte)kind;
        b[15] = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), 12345);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), pid);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), tid);
        return b;
    }

    public static int Align8(int n) => (n + 7) & ~7;

    private WrittenRecord Reserve(int len, RecordKind kind, uint pid, uint tid, ulong ts, int nr)
    {
        if (len % 8 != 0 || len > Overhang)
        {
            throw new ArgumentOutOfRangeException(nameof(len), $"the kernel never reserves {len} bytes");
        }
        // __sync_fetch_and_add(&hdr.head, len), then __sync_fetch_and_add(&hdr.records, 1).
        ulong pos = Head;
        ulong seq = RecordsReserved;
        WriteHeader(head: pos + (ulong)len, records: seq + 1);
        var rec = new WrittenRecord
        {
            Position = pos,
            Sequence = seq,
            Length = len,
            Kind = kind,
            Pid = pid,
            Tid = tid,
            Timestamp = ts,
            Nr = nr,
            MappingOffset = HeaderSize + (int)(pos & (ulong)(Size - 1)),
        };
        _written.Add(rec);
        return rec;
    }

    private static void FillHeader(Span<byte> body, WrittenRecord rec, RecordFlags flags)
    {
        // Everything but the tag, which commit writes last.
        BinaryPrimitives.WriteUInt32LittleEndian(body[8..], (uint)rec.Sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(body[12..], (ushort)rec.Length);
        body[14] = (byte)rec.Kind;
        body[15] = (byte)flags;
        BinaryPrimitives.WriteUInt64LittleEndian(body[16..], rec.Timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(body[24..], rec.Pid);
        BinaryPrimitives.WriteUInt32LittleEndian(body[28..], rec.Tid);
    }

    private static void WriteComm(Span<byte> dest, string comm)
    {
        // bpf_get_current_comm: at most 15 bytes and a NUL, the rest zeroed.
        dest.Clear();
        byte[] bytes = Encoding.UTF8.GetBytes(comm);
        bytes.AsSpan(0, Math.Min(bytes.Length, dest.Length - 1)).CopyTo(dest);
    }

    private WrittenRecord Finish(WrittenRecord rec, bool commit)
    {
        if (commit)
        {
            Commit(rec);
        }
        return rec;
    }
}
