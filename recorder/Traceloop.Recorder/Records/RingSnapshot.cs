using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Records;

/// <summary>Where one committed record sits in a snapshot's buffer.</summary>
internal readonly record struct RecordRef(int Offset, int Length, ulong Position, ulong Sequence, RecordKind Kind);

/// <summary>A ring's header or data does not follow the layout: a bug or a foreign map, never a crash.</summary>
internal sealed class CorruptRingException(string message) : Exception(message);

/// <summary>
/// A copy of every committed record a ring holds, taken while the kernel keeps writing.
/// Nothing is paused or consumed: a second snapshot shows the same history plus what came
/// since, and records written during the copy are either complete in it or left for the next.
/// </summary>
internal sealed class RingSnapshot : IDisposable
{
    // Snapshots are up to 2 MiB each. The shared pool would keep many of them per core for
    // good; this one keeps two of a size, so an idle recorder gives the memory back.
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(maxArrayLength: 4 * 1024 * 1024, maxArraysPerBucket: 2);

    private byte[]? _buffer;

    private RingSnapshot(byte[] buffer, List<RecordRef> records, ulong head, ulong recordsReserved, long lost, int ringSize)
    {
        _buffer = buffer;
        Records = records;
        Head = head;
        RecordsReserved = recordsReserved;
        Lost = lost;
        RingSize = ringSize;
    }

    /// <summary>The copied data area; records point into it.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer ?? throw new ObjectDisposedException(nameof(RingSnapshot));

    /// <summary>Committed records in the order their space was reserved (oldest first).</summary>
    public List<RecordRef> Records { get; }

    /// <summary>Bytes ever reserved in the ring when the copy ended.</summary>
    public ulong Head { get; }

    /// <summary>Records ever reserved in the ring when the copy ended.</summary>
    public ulong RecordsReserved { get; }

    /// <summary>Records older than the newest one held that the ring no longer has: overwritten.</summary>
    public long Lost { get; }

    public int RingSize { get; }

    /// <summary>Share of the data area in use.</summary>
    public double Fill => RingSize == 0 ? 0 : Math.Min(1.0, (double)Head / RingSize);

    public ReadOnlySpan<byte> RecordBytes(in RecordRef r) => Buffer.Slice(r.Offset, r.Length);

    /// <summary>
    /// Copies and parses a ring given its whole mapped value (header, data, overhang).
    /// <paramref name="mapping"/> may be changing under us; it is read in ascending address
    /// order with ordered loads, which is what the writer's "body, then tag" order relies on.
    /// </summary>
    public static RingSnapshot Take(ReadOnlySpan<byte> mapping)
    {
        if (mapping.Length < RecordLayout.RingHeaderSize + RecordLayout.MaxRecord)
        {
            throw new CorruptRingException($"a ring mapping of {mapping.Length} bytes cannot hold a header and one record");
        }
        ref byte start = ref MemoryMarshal.GetReference(mapping);
        ulong key = VolatileU64(ref start, 16);
        ulong size = VolatileU64(ref start, 24);
        if (size == 0 || (size & (size - 1)) != 0 || size > (ulong)(mapping.Length - RecordLayout.RingHeaderSize - RecordLayout.MaxRecord))
        {
            throw new CorruptRingException($"ring header gives a data size of {size} bytes, which is not a power of two that fits the {mapping.Length}-byte map value");
        }
        int ringSize = (int)size;
        int copyLength = ringSize + RecordLayout.MaxRecord;

        byte[] buffer = Buffers.Rent(copyLength);
        try
        {
            CopyAscending(mapping.Slice(RecordLayout.RingHeaderSize, copyLength), buffer);
            ulong head = VolatileU64(ref start, 0);
            ulong reserved = VolatileU64(ref start, 8);
            List<RecordRef> records = Walk(buffer, key, size, head, reserved, out long lost);
            return new RingSnapshot(buffer, records, head, reserved, lost, ringSize);
        }
        catch
        {
            Buffers.Return(buffer);
            throw;
        }
    }

    private static List<RecordRef> Walk(byte[] data, ulong key, ulong size, ulong head, ulong reserved, out long lost)
    {
        var records = new List<RecordRef>();
        ulong mask = size - 1;
        // Anything reserved before head - size may have been overwritten by the time the copy
        // ended; anything at or after it cannot have been, because a writer only touches
        // space it reserved and every reservation so far ends at or before head.
        ulong pos = head > size ? (head - size + 7) & ~7UL : 0;
        ulong maxSeq = 0;
        bool any = false;
        // Written as differences so that no counter value, however corrupt, can overflow the walk.
        while (pos <= head && head - pos >= (ulong)Unsafe.SizeOf<tl_rec>())
        {
            int off = (int)(pos & mask);
            ulong tag = BitConverter.ToUInt64(data, off);
            if (tag != (pos ^ key))
            {
                // Not a record start: the tail of an overwritten record, or one still being
                // written. Step to the next possible start.
                pos += 8;
                continue;
            }
            tl_rec h = MemoryMarshal.Read<tl_rec>(data.AsSpan(off));
            if (h.len < Unsafe.SizeOf<tl_rec>() || (h.len & 7) != 0 || h.len > RecordLayout.MaxRecord || h.len > head - pos)
            {
                throw new CorruptRingException($"record at position {pos} claims {h.len} bytes");
            }
            ulong seq = reserved - (uint)((uint)reserved - h.seq);
            records.Add(new RecordRef(off, h.len, pos, seq, h.kind));
            if (!any || seq > maxSeq)
            {
                maxSeq = seq;
            }
            any = true;
            pos += h.len;
        }
        lost = any ? (long)(maxSeq + 1) - records.Count : 0;
        return records;
    }

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
