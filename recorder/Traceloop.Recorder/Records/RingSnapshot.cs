using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Records;

/// <summary>
/// Where one committed record sits in a snapshot's buffer. <paramref name="Position"/> counts bytes
/// in its sub-ring; <paramref name="Sequence"/> numbers the records of the whole ring in the
/// snapshot's order (see <see cref="RingSnapshot.Records"/>).
/// </summary>
internal readonly record struct RecordRef(int Offset, int Length, ulong Position, ulong Sequence, RecordKind Kind, int SubRing = 0);

/// <summary>A ring's header or data does not follow the layout: a bug or a foreign map, never a crash.</summary>
internal sealed class CorruptRingException(string message) : Exception(message);

/// <summary>
/// A copy of every committed record a ring holds, taken while the kernel keeps writing.
/// Nothing is paused or consumed: a second snapshot shows the same history plus what came
/// since, and records written during the copy are either complete in it or left for the next.
/// Each per-CPU sub-ring is copied and walked on its own, exactly as a ring of its own; their
/// records are then merged by timestamp into one order.
/// </summary>
internal sealed class RingSnapshot : IDisposable
{
    // Snapshots are up to 2 MiB of data plus the overhangs. The shared pool would keep many of
    // them per core for good; this one keeps two of a size, so an idle recorder gives the memory back.
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(maxArrayLength: 4 * 1024 * 1024, maxArraysPerBucket: 2);

    private byte[]? _buffer;

    private RingSnapshot(byte[] buffer, List<RecordRef> records, SubRingWalk[] subRings, int ringSize)
    {
        _buffer = buffer;
        Records = records;
        RingSize = ringSize;
        SubRings = subRings.Length;
        ulong completeFrom = 0;
        double fill = 0;
        foreach (SubRingWalk w in subRings)
        {
            Head += w.Head;
            RecordsReserved += w.Reserved;
            Lost += w.Lost;
            fill = Math.Max(fill, w.Size == 0 ? 0 : Math.Min(1.0, (double)w.Head / w.Size));
            if (w.Wrapped)
            {
                WrappedSubRings++;
                completeFrom = Math.Max(completeFrom, w.OldestTimestamp);
            }
        }
        Fill = fill;
        CompleteFrom = completeFrom;
    }

    /// <summary>The copied sub-rings (data and overhang each, in sub-ring order); records point into it.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer ?? throw new ObjectDisposedException(nameof(RingSnapshot));

    /// <summary>
    /// Committed records, oldest first: each sub-ring's in the order their space was reserved,
    /// merged across sub-rings by timestamp (ties by sub-ring, then position). Timestamps taken
    /// just before reserving may be a few ns out of order within a sub-ring; the merge keeps each
    /// sub-ring's own order, which is what pairs a thread's enter with its exit.
    /// </summary>
    public List<RecordRef> Records { get; }

    /// <summary>Bytes ever reserved in all sub-rings when the copy ended.</summary>
    public ulong Head { get; }

    /// <summary>Records ever reserved in all sub-rings when the copy ended.</summary>
    public ulong RecordsReserved { get; }

    /// <summary>
    /// Records the ring no longer has, each older than the newest one held of its own sub-ring:
    /// overwritten (or never committed). The sum of the sub-rings' counts, each exact.
    /// </summary>
    public long Lost { get; }

    /// <summary>Bytes of data of all sub-rings together.</summary>
    public int RingSize { get; }

    /// <summary>Per-CPU sub-rings the ring is split into.</summary>
    public int SubRings { get; }

    /// <summary>Sub-rings that went round and overwrote their oldest records.</summary>
    public int WrappedSubRings { get; }

    /// <summary>
    /// CLOCK_BOOTTIME ns from which the merged history is complete: the newest of the oldest
    /// surviving timestamps of the sub-rings that wrapped. Sub-rings fill at the pace of their
    /// CPUs, so a busy CPU's sub-ring can have overwritten what it held before this while a quiet
    /// one still holds older records: before it, a dump shows some CPUs' events and not others'.
    /// 0 when no sub-ring wrapped (everything since the ring was made is held).
    /// </summary>
    public ulong CompleteFrom { get; }

    /// <summary>
    /// Share of the ring's history window in use: that of its fullest sub-ring, so 1 means the
    /// ring overwrites its oldest records somewhere (a thread that keeps to one CPU fills only
    /// that CPU's sub-ring, and overwrites once it is full, however empty the others are).
    /// </summary>
    public double Fill { get; }

    public ReadOnlySpan<byte> RecordBytes(in RecordRef r) => Buffer.Slice(r.Offset, r.Length);

    /// <summary>
    /// Copies and parses a ring given its whole mapped value (header, sub-ring headers, sub-rings).
    /// <paramref name="mapping"/> may be changing under us; each sub-ring is read in ascending
    /// address order with ordered loads, which is what the writer's "body, then tag" order relies on.
    /// </summary>
    public static RingSnapshot Take(ReadOnlySpan<byte> mapping)
    {
        const int minimum = RecordLayout.RingHeaderSize + RecordLayout.SubRingHeaderSize + RecordLayout.MaxRecord;
        if (mapping.Length < minimum)
        {
            throw new CorruptRingException($"a ring mapping of {mapping.Length} bytes cannot hold a header and one record");
        }
        ref byte start = ref MemoryMarshal.GetReference(mapping);
        ulong size = VolatileU64(ref start, 24);
        if (size == 0 || (size & (size - 1)) != 0 || size > (ulong)(mapping.Length - minimum))
        {
            throw new CorruptRingException($"ring header gives a data size of {size} bytes, which is not a power of two that fits the {mapping.Length}-byte map value");
        }
        uint nsub = Volatile.Read(ref Unsafe.As<byte, uint>(ref Unsafe.Add(ref start, 32)));
        ulong subSize = VolatileU64(ref start, 40);
        if (nsub == 0 || (nsub & (nsub - 1)) != 0 || nsub > size || subSize != size / nsub)
        {
            throw new CorruptRingException($"ring header gives {nsub} sub-rings of {subSize} bytes for {size} bytes of data; the count must be a power of two that divides it");
        }
        int subRings = (int)nsub;
        int stride = (int)subSize + RecordLayout.MaxRecord;
        long needed = RecordLayout.RingHeaderSize + (long)subRings * (RecordLayout.SubRingHeaderSize + stride);
        if (needed > mapping.Length)
        {
            throw new CorruptRingException($"ring header gives {nsub} sub-rings of {subSize} bytes, which need {needed} bytes; the map value has {mapping.Length}");
        }
        int dataOffset = RecordLayout.RingHeaderSize + subRings * RecordLayout.SubRingHeaderSize;
        int copyLength = subRings * stride;

        byte[] buffer = Buffers.Rent(copyLength);
        try
        {
            var walks = new SubRingWalk[subRings];
            for (int i = 0; i < subRings; i++)
            {
                int line = RecordLayout.RingHeaderSize + i * RecordLayout.SubRingHeaderSize;
                ulong key = VolatileU64(ref start, line + 16);
                CopyAscending(mapping.Slice(dataOffset + i * stride, stride), buffer.AsSpan(i * stride));
                // Read after the copy: everything reserved from head - size on was not yet
                // overwritten when the copy of this sub-ring ended.
                ulong head = VolatileU64(ref start, line);
                ulong reserved = VolatileU64(ref start, line + 8);
                walks[i] = Walk(buffer, i, i * stride, key, subSize, head, reserved);
            }
            return new RingSnapshot(buffer, Merge(buffer, walks), walks, (int)size);
        }
        catch
        {
            Buffers.Return(buffer);
            throw;
        }
    }

    /// <summary>One sub-ring's walk: its records in reservation order and its counters.</summary>
    private sealed record SubRingWalk(List<RecordRef> Records, ulong Head, ulong Reserved, ulong Size, long Lost, ulong OldestTimestamp)
    {
        /// <summary>Went round: space before head - size may have been overwritten.</summary>
        public bool Wrapped => Head > Size && Records.Count > 0;
    }

    private static SubRingWalk Walk(byte[] buffer, int subRing, int baseOffset, ulong key, ulong size, ulong head, ulong reserved)
    {
        var records = new List<RecordRef>();
        Span<byte> data = buffer.AsSpan(baseOffset, (int)size + RecordLayout.MaxRecord);
        ulong mask = size - 1;
        // Anything reserved before head - size may have been overwritten by the time the copy
        // ended; anything at or after it cannot have been, because a writer only touches
        // space it reserved and every reservation so far ends at or before head.
        ulong pos = head > size ? (head - size + 7) & ~7UL : 0;
        ulong maxSeq = 0;
        ulong oldest = ulong.MaxValue;
        bool any = false;
        // Written as differences so that no counter value, however corrupt, can overflow the walk.
        while (pos <= head && head - pos >= (ulong)Unsafe.SizeOf<tl_rec>())
        {
            int off = (int)(pos & mask);
            ulong tag = BitConverter.ToUInt64(data[off..]);
            if (tag != (pos ^ key))
            {
                // Not a record start: the tail of an overwritten record, or one still being
                // written. Step to the next possible start.
                pos += 8;
                continue;
            }
            tl_rec h = MemoryMarshal.Read<tl_rec>(data[off..]);
            if (h.len < Unsafe.SizeOf<tl_rec>() || (h.len & 7) != 0 || h.len > RecordLayout.MaxRecord || h.len > head - pos)
            {
                throw new CorruptRingException($"record at position {pos} of sub-ring {subRing} claims {h.len} bytes");
            }
            ulong seq = reserved - (uint)((uint)reserved - h.seq);
            records.Add(new RecordRef(baseOffset + off, h.len, pos, seq, h.kind, subRing));
            if (!any || seq > maxSeq)
            {
                maxSeq = seq;
            }
            oldest = Math.Min(oldest, h.ts);
            any = true;
            pos += h.len;
        }
        long lost = any ? (long)(maxSeq + 1) - records.Count : 0;
        return new SubRingWalk(records, head, reserved, size, lost, any ? oldest : 0);
    }

    /// <summary>
    /// A k-way merge of the sub-rings by (timestamp, sub-ring, position), each sub-ring's own
    /// order kept. Each record is numbered with how many records of all sub-rings come before it:
    /// its own sub-ring's sequence number plus, for every other sub-ring, the sequence number of
    /// that sub-ring's next record not yet merged. So the numbers grow through the merge, and with
    /// nothing lost they are 0, 1, 2, ... and stay the same in every later snapshot.
    /// </summary>
    private static List<RecordRef> Merge(byte[] buffer, SubRingWalk[] walks)
    {
        if (walks.Length == 1)
        {
            return walks[0].Records;
        }
        int total = 0;
        var next = new int[walks.Length];
        var nextSeq = new ulong[walks.Length];
        ulong seqSum = 0;
        var heads = new PriorityQueue<int, (ulong Ts, int SubRing, ulong Position)>(walks.Length);
        for (int i = 0; i < walks.Length; i++)
        {
            List<RecordRef> run = walks[i].Records;
            total += run.Count;
            if (run.Count > 0)
            {
                nextSeq[i] = run[0].Sequence;
                seqSum += nextSeq[i];
                heads.Enqueue(i, (Timestamp(buffer, run[0]), i, run[0].Position));
            }
        }
        var merged = new List<RecordRef>(total);
        while (heads.TryDequeue(out int i, out _))
        {
            List<RecordRef> run = walks[i].Records;
            RecordRef r = run[next[i]];
            merged.Add(r with { Sequence = seqSum });
            next[i]++;
            ulong following = r.Sequence + 1;
            if (next[i] < run.Count)
            {
                RecordRef n = run[next[i]];
                following = n.Sequence;
                heads.Enqueue(i, (Timestamp(buffer, n), i, n.Position));
            }
            seqSum += following - nextSeq[i];
            nextSeq[i] = following;
        }
        return merged;
    }

    private static ulong Timestamp(byte[] buffer, in RecordRef r) => BitConverter.ToUInt64(buffer, r.Offset + 16);
    private static void CopyAscending(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ref byte src = ref MemoryMarshal.GetReference(source);
        Span<ulong> dst = MemoryMarshal.Cast<byte, ulong>(destination[..source.Length]);
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] = Volatile.Read(ref Unsafe.As<byte, ulong>(ref Unsafe.Add(ref src, i * 8)));
        }
    }

    private static ulong VolatileU64(ref byte start, int offset) =>
        Volatile.Read(ref Unsafe.As<byte, ulong>(ref Unsafe.Add(ref start, offset)));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            Buffers.Return(buffer);
        }
    }
}
