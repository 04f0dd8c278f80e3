using System.Text;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct timespec and timeval (16 bytes each on x86-64) and the itimerspec and itimerval pairs of
/// them: <c>{tv_sec=1, tv_nsec=500000000}</c>, <c>{it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=2, tv_usec=0}}</c>.
/// </summary>
/// <remarks>
/// strace prints tv_sec signed and tv_nsec/tv_usec unsigned, as it reads them, so a negative
/// nanosecond count shows as 18446744073709551615 and out-of-range values are printed, not judged.
/// nanosleep's and clock_nanosleep's remaining time is printed only when the call was interrupted
/// (otherwise strace shows the pointer): the caller decides, this renders.
/// </remarks>
internal static class Time
{
    public const int TimespecSize = 16;
    public const int ItimerspecSize = 32;

    /// <summary>struct timespec / __kernel_timespec.</summary>
    public static bool TryAppendTimespec(StringBuilder sb, ReadOnlySpan<byte> data) => TryAppendPair(sb, data, "tv_nsec=");

    /// <summary>struct timeval / __kernel_old_timeval.</summary>
    public static bool TryAppendTimeval(StringBuilder sb, ReadOnlySpan<byte> data) => TryAppendPair(sb, data, "tv_usec=");

    /// <summary>struct itimerspec (timer_settime, timerfd_settime, timerfd_gettime).</summary>
    public static bool TryAppendItimerspec(StringBuilder sb, ReadOnlySpan<byte> data) => TryAppendTimerPair(sb, data, "tv_nsec=");

    /// <summary>struct itimerval (setitimer, getitimer).</summary>
    public static bool TryAppendItimerval(StringBuilder sb, ReadOnlySpan<byte> data) => TryAppendTimerPair(sb, data, "tv_usec=");

    private static bool TryAppendPair(StringBuilder sb, ReadOnlySpan<byte> data, string fraction)
    {
        if (!Has(data, 0, 8))
        {
            return false;
        }
        sb.Append("{tv_sec=").Append(I64(data, 0));
        if (!Has(data, 8, 8))
        {
            return Cut(sb);
        }
        sb.Append(", ").Append(fraction).Append(U64(data, 8)).Append('}');
        return true;
    }

    private static bool TryAppendTimerPair(StringBuilder sb, ReadOnlySpan<byte> data, string fraction)
    {
        if (!Has(data, 0, 8))
        {
            return false;
        }
        sb.Append("{it_interval=");
        TryAppendPair(sb, data, fraction);
        if (!Has(data, 16, 8))
        {
            return Cut(sb);
        }
        sb.Append(", it_value=");
        TryAppendPair(sb, data[16..], fraction);
        sb.Append('}');
        return true;
    }
}
