using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Records;

/// <summary>
/// A ring's header counters, summed over its sub-rings: enough to say how full it is and, while no
/// sub-ring has wrapped, exactly how many records it holds. Reading them costs a few loads per
/// sub-ring where a snapshot copies the ring.
/// </summary>
/// <param name="Head">Bytes ever reserved.</param>
/// <param name="Records">Records ever reserved.</param>
/// <param name="Size">Bytes of data of all sub-rings together.</param>
/// <param name="Fill">Share of the history window in use, that of the fullest sub-ring, as <see cref="RingSnapshot.Fill"/> gives it.</param>
/// <param name="Held">
/// Records the ring holds: in each sub-ring all of them until it wraps; after that, the share of its
/// bytes that records of its mean size fill. A dump counts them exactly.
/// </param>
internal readonly record struct RingCounters(ulong Head, ulong Records, ulong Size, double Fill, long Held)
{
    /// <summary>Records overwritten: none until a sub-ring wraps, then the rest of <see cref="Records"/>.</summary>
    public long Overwritten => (long)Records - Held;

    /// <summary>Bytes of the mapping <see cref="Read"/> needs: the ring header and the sub-ring headers.</summary>
    public static int HeaderBytes(int subRings) => RecordLayout.RingHeaderSize + subRings * RecordLayout.SubRingHeaderSize;

    /// <summary>Reads the counters of a ring mapping (headers first), with the loads the writers' atomics pair with.</summary>
    public static RingCounters Read(ReadOnlySpan<byte> mapping)
    {
        if (mapping.Length < HeaderBytes(1))
        {
            throw new CorruptRingException($"a ring mapping of {mapping.Length} bytes cannot hold a header");
        }
        ref byte start = ref MemoryMarshal.GetReference(mapping);
        ulong size = Load(ref start, 24);
        if (size == 0 || (size & (size - 1)) != 0)
        {
            throw new CorruptRingException($"ring header gives a data size of {size} bytes, which is not a power of two");
        }
        uint nsub = Volatile.Read(ref Unsafe.As<byte, uint>(ref Unsafe.Add(ref start, 32)));
        if (nsub == 0 || (nsub & (nsub - 1)) != 0 || nsub > size || HeaderBytes((int)Math.Min(nsub, 1u << 20)) > mapping.Length)
        {
            throw new CorruptRingException($"ring header gives {nsub} sub-rings, which is not a power of two whose headers fit the {mapping.Length}-byte mapping");
        }
        ulong subSize = size / nsub;
        ulong head = 0, records = 0;
        double held = 0, fill = 0;
        for (int i = 0; i < (int)nsub; i++)
        {
            int line = RecordLayout.RingHeaderSize + i * RecordLayout.SubRingHeaderSize;
            ulong h = Load(ref start, line);
            ulong r = Load(ref start, line + 8);
            head += h;
            records += r;
            fill = Math.Max(fill, Math.Min(1.0, (double)h / subSize));
            held += h <= subSize ? r : Math.Round(r * ((double)subSize / h));
        }
        return new RingCounters(head, records, size, fill, (long)held);
    }

    private static ulong Load(ref byte start, int offset) =>
        Volatile.Read(ref Unsafe.As<byte, ulong>(ref Unsafe.Add(ref start, offset)));
}
