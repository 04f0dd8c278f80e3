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

    /// <summary>Offset of the record in the mapping (headers included).</summary>
    public required int MappingOffset { get; init; }

    /// <summary>Offset of the record in a snapshot's buffer, which starts at sub-ring 0's data.</summary>
    public required int DataOffset { get; init; }

    /// <summary>The sub-ring it was reserved in.</summary>
    public required int SubRing { get; init; }

    public bool Committed { get; set; }
}

/// <summary>
/// Writes a ring the way bpf/traceloop.bpf.c does, into a byte array laid out like the ring
/// map value: [tl_ring_hdr][tl_sub_hdr x nsub][sub-ring: data + TL_MAX_RECORD overhang] x nsub.
/// A reservation goes to the sub-ring of the current <see cref="Cpu"/> and adds to that
/// sub-ring's head and records; a record goes to its data[pos &amp; (sub size - 1)] and runs on
/// into the overhang instead of wrapping; the body is written first, only the bytes the kernel
/// writes (payload padding keeps whatever was there), and the tag (pos ^ sub-ring key) last.
/// Fields are written at the offsets of the C header, not through the C# mirror, so the
/// reader is checked against the C layout.
/// </summary>
internal sealed class RingBuilder
{
    public const int HeaderSize = 64;
    public const int SubHeaderSize = 64;
    public const int Overhang = 4096;
    public const int EnterSize = 104;
    public const int ExitSize = 48;
    public const int ProcessExitSize = 56;
    public const int PayloadHeaderSize = 8;
    public const ulong DefaultKey = 0x9e3779b97f4a7c15;

    private readonly List<WrittenRecord> _written = [];

    public RingBuilder(int size, ulong key = DefaultKey, int subRings = 1)
    {
        if (size <= 0 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "a ring's data size is a power of two");
        }
        if (subRings <= 0 || (subRings & (subRings - 1)) != 0 || subRings > size)
        {
            throw new ArgumentOutOfRangeException(nameof(subRings), "the sub-ring count is a power of two that divides the size");
        }
        Size = size;
        SubRings = subRings;
        Key = key;
        Mapping = new byte[DataStart + subRings * Stride];
        WriteHeader(key: key, size: (ulong)size);
        BinaryPrimitives.WriteUInt32LittleEndian(Mapping.AsSpan(32), (uint)subRings);
        BinaryPrimitives.WriteUInt64LittleEndian(Mapping.AsSpan(40), (ulong)SubSize);
        for (int i = 0; i < subRings; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(Mapping.AsSpan(Line(i) + 16), SubKey(i));
        }
    }

    /// <summary>The whole map value, as RingSnapshot.Take sees it.</summary>
    public byte[] Mapping { get; }

    /// <summary>Bytes of data of all sub-rings.</summary>
    public int Size { get; }

    public int SubRings { get; }

    public int SubSize => Size / SubRings;

    /// <summary>Where sub-ring 0's data starts in the mapping.</summary>
    public int DataStart => HeaderSize + SubRings * SubHeaderSize;

    public int Stride => SubSize + Overhang;

    /// <summary>The ring key, which is also sub-ring 0's key.</summary>
    public ulong Key { get; }

    /// <summary>The CPU the next reservations are made on: they go to sub-ring Cpu mod <see cref="SubRings"/>.</summary>
    public int Cpu { get; set; }

    private int CurrentSubRing => Cpu & (SubRings - 1);

    /// <summary>Bytes ever reserved, all sub-rings together.</summary>
    public ulong Head => SumOverSubRings(SubHead);

    /// <summary>Records ever reserved, all sub-rings together.</summary>
    public ulong RecordsReserved => SumOverSubRings(SubRecords);

    private ulong SumOverSubRings(Func<int, ulong> value)
    {
        ulong sum = 0;
        for (int i = 0; i < SubRings; i++)
        {
            sum = unchecked(sum + value(i));
        }
        return sum;
    }

    public ulong SubHead(int subRing) => BinaryPrimitives.ReadUInt64LittleEndian(Mapping.AsSpan(Line(subRing)));

    public ulong SubRecords(int subRing) => BinaryPrimitives.ReadUInt64LittleEndian(Mapping.AsSpan(Line(subRing) + 8));

    /// <summary>Each sub-ring's own key, as the recorder draws one per sub-ring.</summary>
    public ulong SubKey(int subRing) => subRing == 0 ? Key : Key ^ (0x5851_f42d_4c95_7f2dUL * (ulong)subRing);

    /// <summary>Every reservation so far, oldest first.</summary>
    public IReadOnlyList<WrittenRecord> Written => _written;

    public RingSnapshot Snapshot() => RingSnapshot.Take(Mapping);

    /// <summary>
    /// The records a correct reader must return: committed, and reserved at or after its
    /// sub-ring's head - sub size (older space may have been overwritten). One sub-ring's come in
    /// reservation order; several are merged by timestamp, sub-ring and position (tests of several
    /// write each sub-ring's timestamps in order, where that merge is this sort).
    /// </summary>
    public List<WrittenRecord> ExpectedHeld() => SubRings == 1
        ? _written.Where(IsHeld).ToList()
        : _written.Where(IsHeld).OrderBy(r => r.Timestamp).ThenBy(r => r.SubRing).ThenBy(r => r.Position).ToList();

    private bool IsHeld(WrittenRecord r)
    {
        ulong head = SubHead(r.SubRing);
        ulong start = head > (ulong)SubSize ? head - (ulong)SubSize : 0;
        return r.Committed && r.Position >= start;
    }

    /// <summary>Records reserved before the newest held one of their sub-ring that a correct reader cannot return.</summary>
    public long ExpectedLost()
    {
        long lost = 0;
        foreach (IGrouping<int, WrittenRecord> held in _written.Where(IsHeld).GroupBy(r => r.SubRing))
        {
            lost += (long)(held.Max(r => r.Sequence) + 1) - held.Count();
        }
        return lost;
    }

    /// <summary>
    /// Overwrites header fields, for corrupt-header cases: head and records of
    /// <paramref name="subRing"/>'s line, key and size of the ring header.
    /// </summary>
    public void WriteHeader(ulong? head = null, ulong? records = null, ulong? key = null, ulong? size = null, int subRing = 0)
    {
        Span<byte> line = Mapping.AsSpan(Line(subRing), SubHeaderSize);
        Span<byte> h = Mapping.AsSpan(0, HeaderSize);
        if (head is { } hd)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(line, hd);
        }
        if (records is { } r)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(line[8..], r);
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

    private static int Line(int subRing) => HeaderSize + subRing * SubHeaderSize;

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

    /// <summary>
    /// A TLS plaintext record (struct tl_tls, 72 bytes) with its bytes as one payload, as the uprobes
    /// write it at the call's return (<paramref name="ts"/>); the call was entered at <paramref name="start"/>
    /// (by default the return itself, a call too short for any syscall).
    /// </summary>
    public WrittenRecord Tls(uint pid, uint tid, TlsDirection direction, TlsLibrary library, int fd, long ret, ulong ts, byte[] data, string comm = "test",
        ulong? start = null, PayloadFlags flags = PayloadFlags.None)
    {
        const int TlsSize = 72;
        PayloadSpec[] payloads = [new PayloadSpec(PayloadKind.Bytes, 1, data, flags)];
        int len = TlsSize + PayloadHeaderSize + Align8(data.Length);
        WrittenRecord rec = Reserve(len, RecordKind.Tls, pid, tid, ts, -1);
        Span<byte> body = Mapping.AsSpan(rec.MappingOffset, len);
        FillHeader(body, rec, (flags & PayloadFlags.Truncated) != 0 ? RecordFlags.Truncated : RecordFlags.None);
        body[32] = (byte)direction;
        body[33] = (byte)library;
        BinaryPrimitives.WriteUInt16LittleEndian(body[34..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(body[36..], fd);
        BinaryPrimitives.WriteInt64LittleEndian(body[40..], ret);
        BinaryPrimitives.WriteUInt64LittleEndian(body[48..], start ?? ts);
        WriteComm(body.Slice(56, 16), comm);
        WritePayloads(body[TlsSize..], payloads);
        return Finish(rec, commit: true);
    }

    /// <summary>Writes the tag of a reservation made with commit: false (a CPU that finished late).</summary>
    public void Commit(WrittenRecord rec)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Mapping.AsSpan(rec.MappingOffset), rec.Position ^ SubKey(rec.SubRing));
        rec.Committed = true;
    }

    /// <summary>Overwrites bytes of a record, counting from its first byte (the tag).</summary>
    public void Corrupt(WrittenRecord rec, int offsetInRecord, ReadOnlySpan<byte> bytes) =>
        bytes.CopyTo(Mapping.AsSpan(rec.MappingOffset + offsetInRecord));

    /// <summary>Sets the len field of a committed record's header.</summary>
    public void CorruptLength(WrittenRecord rec, ushort len) =>
        BinaryPrimitives.WriteUInt16LittleEndian(Mapping.AsSpan(rec.MappingOffset + 12), len);

    /// <summary>
    /// Writes filler records (of <paramref name="pid"/>) until the next reservation in the current
    /// sub-ring lands at its data offset <paramref name="dataOffset"/> (a multiple of 8), going round
    /// the sub-ring if the gap is too short to fill.
    /// </summary>
    public void AdvanceTo(int dataOffset, uint pid = 1, ulong ts = 1)
    {
        int mask = SubSize - 1;
        int gap = (dataOffset - (int)(SubHead(CurrentSubRing) & (ulong)mask) + SubSize) & mask;
        if (gap != 0 && gap < EnterSize + PayloadHeaderSize && gap is not (ExitSize or ProcessExitSize or EnterSize))
        {
            gap += SubSize;
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
        // __sync_fetch_and_add(&sh->head, len), then __sync_fetch_and_add(&sh->records, 1),
        // on the line of this CPU's sub-ring.
        int sub = CurrentSubRing;
        ulong pos = SubHead(sub);
        ulong seq = SubRecords(sub);
        WriteHeader(head: pos + (ulong)len, records: seq + 1, subRing: sub);
        int dataOffset = sub * Stride + (int)(pos & (ulong)(SubSize - 1));
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
            MappingOffset = DataStart + dataOffset,
            DataOffset = dataOffset,
            SubRing = sub,
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
