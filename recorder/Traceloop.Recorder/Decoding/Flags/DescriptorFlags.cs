using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>
/// The small flag sets of descriptor-making and descriptor-using syscalls: epoll, eventfd,
/// timerfd, signalfd, inotify, getrandom, flock, lseek; and rseq's and set_robust_list's pointers.
/// </summary>
internal static class DescriptorFlags
{
    private static readonly NameTable EpollOperations = new(
        "EPOLL_CTL_???",
        new(1, "EPOLL_CTL_ADD"),
        new(2, "EPOLL_CTL_DEL"),
        new(3, "EPOLL_CTL_MOD"));

    private static readonly NameTable EpollCreateFlags = new(
        "EPOLL_???",
        new Named(0x80000, "EPOLL_CLOEXEC"));

    private static readonly NameTable EventfdFlags = new(
        "EFD_???",
        new(0x1, "EFD_SEMAPHORE"),
        new(0x80000, "EFD_CLOEXEC"),
        new(0x800, "EFD_NONBLOCK"));

    private static readonly NameTable Clocks = new(
        "CLOCK_???",
        new(0, "CLOCK_REALTIME"),
        new(1, "CLOCK_MONOTONIC"),
        new(2, "CLOCK_PROCESS_CPUTIME_ID"),
        new(3, "CLOCK_THREAD_CPUTIME_ID"),
        new(4, "CLOCK_MONOTONIC_RAW"),
        new(5, "CLOCK_REALTIME_COARSE"),
        new(6, "CLOCK_MONOTONIC_COARSE"),
        new(7, "CLOCK_BOOTTIME"),
        new(8, "CLOCK_REALTIME_ALARM"),
        new(9, "CLOCK_BOOTTIME_ALARM"),
        new(10, "CLOCK_SGI_CYCLE"),
        new(11, "CLOCK_TAI"));

    private static readonly NameTable ClockNanosleepFlags = new("TIMER_???", new Named(0x1, "TIMER_ABSTIME"));

    /// <summary>timerfd_create's and timerfd_settime's flags share one table in strace.</summary>
    private static readonly NameTable TimerfdFlags = new(
        "TFD_???",
        new(0x1, "TFD_TIMER_ABSTIME"),
        new(0x2, "TFD_TIMER_CANCEL_ON_SET"),
        new(0x80000, "TFD_CLOEXEC"),
        new(0x800, "TFD_NONBLOCK"));

    private static readonly NameTable SignalfdFlags = new(
        "SFD_???",
        new(0x80000, "SFD_CLOEXEC"),
        new(0x800, "SFD_NONBLOCK"));

    private static readonly NameTable InotifyInitFlags = new(
        "IN_???",
        new(0x80000, "IN_CLOEXEC"),
        new(0x800, "IN_NONBLOCK"));

    private static readonly NameTable InotifyMask = new(
        "IN_???",
        new(0x1, "IN_ACCESS"),
        new(0x2, "IN_MODIFY"),
        new(0x4, "IN_ATTRIB"),
        new(0x8, "IN_CLOSE_WRITE"),
        new(0x10, "IN_CLOSE_NOWRITE"),
        new(0x20, "IN_OPEN"),
        new(0x40, "IN_MOVED_FROM"),
        new(0x80, "IN_MOVED_TO"),
        new(0x100, "IN_CREATE"),
        new(0x200, "IN_DELETE"),
        new(0x400, "IN_DELETE_SELF"),
        new(0x800, "IN_MOVE_SELF"),
        new(0x2000, "IN_UNMOUNT"),
        new(0x4000, "IN_Q_OVERFLOW"),
        new(0x8000, "IN_IGNORED"),
        new(0x1000000, "IN_ONLYDIR"),
        new(0x2000000, "IN_DONT_FOLLOW"),
        new(0x4000000, "IN_EXCL_UNLINK"),
        new(0x10000000, "IN_MASK_CREATE"),
        new(0x20000000, "IN_MASK_ADD"),
        new(0x40000000, "IN_ISDIR"),
        new(0x80000000, "IN_ONESHOT"));

    private static readonly NameTable RandomFlags = new(
        "GRND_???",
        new(0x1, "GRND_NONBLOCK"),
        new(0x2, "GRND_RANDOM"),
        new(0x4, "GRND_INSECURE"));

    /// <summary>flock's operations; LOCK_RW (LOCK_READ|LOCK_WRITE) before its parts.</summary>
    private static readonly NameTable LockOperations = new(
        "LOCK_???",
        new(0x1, "LOCK_SH"),
        new(0x2, "LOCK_EX"),
        new(0x4, "LOCK_NB"),
        new(0x8, "LOCK_UN"),
        new(0x20, "LOCK_MAND"),
        new(0xc0, "LOCK_RW"),
        new(0x40, "LOCK_READ"),
        new(0x80, "LOCK_WRITE"));

    private static readonly NameTable SeekOrigins = new(
        "SEEK_???",
        new(0, "SEEK_SET"),
        new(1, "SEEK_CUR"),
        new(2, "SEEK_END"),
        new(3, "SEEK_DATA"),
        new(4, "SEEK_HOLE"));

    internal static void Register(DecoderRegistry r)
    {
        r.For("epoll_ctl").Arg(1, static (sb, a) => EpollOperations.AppendValue(sb, a[1] & 0xffffffff));
        r.For("epoll_create1").Arg(0, static (sb, a) => EpollCreateFlags.AppendFlags(sb, a[0] & 0xffffffff));
        r.For("eventfd2").Arg(1, static (sb, a) => EventfdFlags.AppendFlags(sb, a[1] & 0xffffffff));
        r.For("timerfd_create")
            .Arg(0, static (sb, a) => Clocks.AppendValue(sb, a[0] & 0xffffffff))
            .Arg(1, static (sb, a) => TimerfdFlags.AppendFlags(sb, a[1] & 0xffffffff));
        foreach (string clockCall in (ReadOnlySpan<string>)["clock_gettime", "clock_getres", "clock_settime", "clock_adjtime", "timer_create"])
        {
            r.For(clockCall).Arg(0, static (sb, a) => Clocks.AppendValue(sb, a[0] & 0xffffffff));
        }
        r.For("clock_nanosleep")
            .Arg(0, static (sb, a) => Clocks.AppendValue(sb, a[0] & 0xffffffff))
            .Arg(1, static (sb, a) => ClockNanosleepFlags.AppendFlags(sb, a[1] & 0xffffffff));
        r.For("timerfd_settime").Arg(1, static (sb, a) => TimerfdFlags.AppendFlags(sb, a[1] & 0xffffffff));
        r.For("signalfd4").Arg(3, static (sb, a) => SignalfdFlags.AppendFlags(sb, a[3] & 0xffffffff));
        r.For("inotify_init1").Arg(0, static (sb, a) => InotifyInitFlags.AppendFlags(sb, a[0] & 0xffffffff));
        r.For("inotify_add_watch").Arg(2, static (sb, a) => InotifyMask.AppendFlags(sb, a[2] & 0xffffffff));
        r.For("getrandom").Arg(2, static (sb, a) => RandomFlags.AppendFlags(sb, a[2] & 0xffffffff));
        r.For("flock").Arg(1, static (sb, a) => LockOperations.AppendFlags(sb, a[1] & 0xffffffff));
        r.For("lseek").Arg(2, static (sb, a) => SeekOrigins.AppendValue(sb, a[2] & 0xffffffff));
        // strace prints rseq's area as a plain hex number (0 for none) unless it can read it.
        r.For("rseq")
            .Arg(0, static (sb, a) => FlagText.Hex(sb, a[0]))
            .Arg(1, static (sb, a) => FlagText.Hex(sb, a[1] & 0xffffffff))
            .Arg(2, static (sb, a) => FlagText.Hex(sb, a[2] & 0xffffffff))
            .Arg(3, static (sb, a) => FlagText.Hex(sb, a[3] & 0xffffffff));
        r.For("set_robust_list").Arg(0, static (sb, a) => FlagText.Address(sb, a[0]));
        r.For("set_tid_address").Arg(0, static (sb, a) => FlagText.Hex(sb, a[0]));
    }
}
