namespace Traceloop.Recorder.Bpf;

/// <summary>
/// How a container's ring is split into per-CPU sub-rings (bpf/traceloop.h). The configured ring
/// size is the container's total: it is divided into <see cref="SubRings"/> sub-rings, one per CPU
/// up to a floor of <see cref="MinSubRingSize"/> bytes each, so a container's kernel memory does
/// not grow with the CPU count; CPUs beyond the sub-ring count share sub-rings (cpu mod count).
/// </summary>
internal readonly record struct RingGeometry(int Size, int SubRings)
{
    /// <summary>
    /// The smallest sub-ring: the smallest ring allowed. Below it a single busy thread's history
    /// (it only fills its own CPU's sub-ring) would get too short to be worth the contention saved.
    /// </summary>
    public const int MinSubRingSize = 64 * 1024;

    public int SubRingSize => Size / SubRings;

    /// <summary>From one sub-ring's data to the next: data and its overhang.</summary>
    public int Stride => SubRingSize + RecordLayout.MaxRecord;

    /// <summary>Offset of sub-ring 0's data in the map value: the ring header and one line per sub-ring.</summary>
    public int DataOffset => RecordLayout.RingHeaderSize + SubRings * RecordLayout.SubRingHeaderSize;

    /// <summary>Bytes of one ring map value.</summary>
    public int ValueSize => DataOffset + SubRings * Stride;

    /// <summary>
    /// The split for a ring of <paramref name="size"/> bytes on a machine with <paramref name="cpus"/>
    /// possible CPUs: the largest power of two at most the CPU count that leaves each sub-ring at
    /// least <see cref="MinSubRingSize"/> (one sub-ring for rings smaller than twice that).
    /// </summary>
    public static RingGeometry For(int size, int cpus)
    {
        if (size <= 0 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "ring size must be a power of two");
        }
        int subRings = 1;
        while (subRings * 2 <= cpus && size / (subRings * 2) >= MinSubRingSize)
        {
            subRings *= 2;
        }
        return new RingGeometry(size, subRings);
    }

    /// <summary>The most sub-rings a ring of <paramref name="size"/> bytes is split into on any machine: size / <see cref="MinSubRingSize"/>.</summary>
    public static int MaxSubRings(int size) => For(size, int.MaxValue).SubRings;

    /// <summary>
    /// Kernel memory one container's ring pins on any machine, in whole pages: the data, and an
    /// overhang and a header line for each of at most <see cref="MaxSubRings"/> sub-rings.
    /// </summary>
    public static long MaxKernelBytes(int size) => RoundToPages(For(size, int.MaxValue).ValueSize);

    /// <summary>Kernel memory this ring pins: the map value, rounded to pages as the kernel allocates it.</summary>
    public long KernelBytes => RoundToPages(ValueSize);

    private static long RoundToPages(long bytes)
    {
        long page = Environment.SystemPageSize;
        return (bytes + page - 1) / page * page;
    }

    /// <summary>The split for this machine: its possible CPUs are the ids bpf_get_smp_processor_id returns.</summary>
    public static RingGeometry ForThisMachine(int size) => For(size, PossibleCpus.Count);
}
