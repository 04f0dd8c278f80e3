namespace Traceloop.Recorder.Records;

/// <summary>
/// Records carry CLOCK_BOOTTIME (it keeps counting through suspend, unlike CLOCK_MONOTONIC);
/// this turns them into wall-clock time using the two clocks' offset at one instant.
/// </summary>
internal readonly struct BootClock
{
    private readonly long _realMinusBootNs;

    private BootClock(long realMinusBootNs)
    {
        _realMinusBootNs = realMinusBootNs;
    }

    private static long s_offset;

    /// <summary>
    /// The current offset. Measuring it jitters by a few hundred ns, so a cached value is kept
    /// unless the wall clock moved by more than a millisecond (NTP step, settimeofday): the same
    /// event then shows the same time in every dump.
    /// </summary>
    public static BootClock Now()
    {
        Interop.Libc.clock_gettime(Interop.Libc.CLOCK_BOOTTIME, out Interop.Libc.timespec boot1);
        Interop.Libc.clock_gettime(Interop.Libc.CLOCK_REALTIME, out Interop.Libc.timespec real);
        Interop.Libc.clock_gettime(Interop.Libc.CLOCK_BOOTTIME, out Interop.Libc.timespec boot2);
        long measured = Ns(real) - (Ns(boot1) + Ns(boot2)) / 2;
        long cached = Volatile.Read(ref s_offset);
        if (cached == 0 || Math.Abs(measured - cached) > 1_000_000)
        {
            Volatile.Write(ref s_offset, measured);
            cached = measured;
        }
        return new BootClock(cached);
    }

    /// <summary>A clock with a fixed offset, for tests.</summary>
    public static BootClock WithOffset(long realMinusBootNs) => new(realMinusBootNs);

    public static ulong BootNowNs()
    {
        Interop.Libc.clock_gettime(Interop.Libc.CLOCK_BOOTTIME, out Interop.Libc.timespec boot);
        return (ulong)Ns(boot);
    }

    /// <summary>Nanoseconds since the Unix epoch.</summary>
    public long ToUnixNs(ulong bootNs) => (long)bootNs + _realMinusBootNs;

    public DateTimeOffset ToWallClock(ulong bootNs) => DateTimeOffset.UnixEpoch.AddTicks(ToUnixNs(bootNs) / 100);

    private static long Ns(in Interop.Libc.timespec t) => t.tv_sec * 1_000_000_000 + t.tv_nsec;
}
