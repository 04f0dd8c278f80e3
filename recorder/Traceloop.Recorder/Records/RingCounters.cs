using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Records;

/// <summary>
/// A ring's header counters: enough to say how full it is and, while it has not wrapped, exactly
/// how many records it holds. Reading them costs a few loads where a snapshot copies the ring.
/// </summary>
/// <param name="Head">Bytes ever reserved.</param>
/// <param name="Records">Records ever reserved.</param>
/// <param name="Size">Bytes of data.</param>
internal readonly record struct RingCounters(ulong Head, ulong Records, ulong Size)
{
    /// <summary>Share of the data area in use, as <see cref="RingSnapshot.Fill"/> gives it.</summary>
    public double Fill => Size == 0 ? 0 : Math.Min(1.0, (double)Head / Size);

    /// <summary>
    /// Records the ring holds: all of them until it wraps; after that, the share of the data area's
    /// bytes that records of the ring's mean size fill. A dump counts them exactly.
    /// </summary>
    public long Held => Head <= Size ? (long)Records : (long)Math.Round(Records * ((double)Size / Head));

    /// <summary>Records overwritten: none until the ring wraps, then the rest of <see cref="Records"/>.</summary>
    public long Overwritten => (long)Records - Held;

    /// <summary>Reads the counters of a ring mapping (header first), with the loads the writers' atomics pair with.</summary>
    public static RingCounters Read(ReadOnlySpan<byte> mapping)
    {
        if (mapping.Length < RecordLayout.RingHeaderSize)
        {
            throw new CorruptRingException($"a ring mapping of {mapping.Length} bytes cannot hold a header");
        }
        ref byte start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mapping);
        ulong size = Load(ref start, 24);
        if (size == 0 || (size & (size - 1)) != 0)
        {
            throw new CorruptRingException($"ring header gives a data size of {size} bytes, which is not a power of two");
        }
        ulong head = Load(ref start, 0);
        ulong records = Load(ref start, 8);
        return new RingCounters(head, records, size);
    }

    private static ulong Load(ref byte start, int offset) =>
        Volatile.Read(ref System.Runtime.CompilerServices.Unsafe.As<byte, ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, offset)));
}
