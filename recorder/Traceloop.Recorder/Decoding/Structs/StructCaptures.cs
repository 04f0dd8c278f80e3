namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>Which renderer of this folder a captured payload is for.</summary>
internal enum StructKind : byte
{
    Stat,
    Statx,
    SockAddr,

    /// <summary>A socklen_t (or msg_namelen) of a value-result length: captured at entry and at exit, printed at exit.</summary>
    SockLen,
    Timespec,
    Timeval,
    Itimerspec,
    Itimerval,
    IntPair,
    WaitStatus,
    Rlimit,
    Sigset,
    Sigaction,
    Utsname,
    SysInfo,
    PollFds,
    EpollEvent,
    EpollEvents,
    IoVec,
    MsgHdr,
    Buffer,
    DirentCount,
    Termios,
    Winsize,
    CloneArgs,

    /// <summary>clone3's pidfd and parent tid, as the kernel stored them: two u32 (-1 when the flag was not set).</summary>
    CloneResult,

    /// <summary>An int the call reads or writes through a pointer, printed in brackets: <c>[5]</c> (ioctl FIONREAD, socket options); anything longer prints as the pointer.</summary>
    IntRef,

    /// <summary>sigaltstack's stack_t.</summary>
    SignalStack,

    /// <summary>A pselect6 or select fd_set: <c>[3 4]</c>.</summary>
    FdSet,

    /// <summary>The signal mask rt_sigreturn restores, from the signal frame on the user stack: <c>{mask=[]}</c>.</summary>
    SignalFrame,
}

/// <summary>How the kernel side knows how many bytes to copy for a capture.</summary>
internal enum SizeSource : byte
{
    /// <summary><see cref="StructCapture.Size"/> bytes.</summary>
    Fixed,

    /// <summary>args[<see cref="StructCapture.SizeArg"/>] × <see cref="StructCapture.ElementSize"/> bytes, at most <see cref="StructCapture.Cap"/>.</summary>
    Argument,

    /// <summary>
    /// *(u32 *)args[<see cref="StructCapture.SizeArg"/>] × <see cref="StructCapture.ElementSize"/> bytes, read when the capture is
    /// taken (a socklen_t* at exit holds the length the kernel reported), at most <see cref="StructCapture.Cap"/>.
    /// </summary>
    ArgumentPointee,

    /// <summary>The return value × <see cref="StructCapture.ElementSize"/> bytes, at most <see cref="StructCapture.Cap"/>; nothing when the call failed.</summary>
    ReturnValue,

    /// <summary>A payload the kernel side assembles, laid out as the renderer's documentation says; at most <see cref="StructCapture.Cap"/>.</summary>
    Composite,
}

/// <summary>
/// One pointed-to struct strace prints, and what the kernel side must copy from user memory for it:
/// argument <see cref="Arg"/>'s pointer (plus <see cref="Offset"/>), at entry or at exit.
/// </summary>
/// <param name="Syscall">The syscall's name in <see cref="SyscallTable"/>.</param>
/// <param name="Arg">The argument register holding the pointer.</param>
/// <param name="AtExit">Copy at exit (what the kernel wrote) rather than at entry (what the program passed).</param>
/// <param name="Kind">The renderer.</param>
/// <param name="Source">How the byte count is found.</param>
/// <param name="Size">The byte count for <see cref="SizeSource.Fixed"/>: what strace's default output reads, which can be less than the struct.</param>
/// <param name="SizeArg">The argument the count comes from, for <see cref="SizeSource.Argument"/> and <see cref="SizeSource.ArgumentPointee"/>; also the argument the renderer takes its length or count from (sigsetsize, nfds, vlen).</param>
/// <param name="ElementSize">Bytes per counted element.</param>
/// <param name="Cap">The most bytes worth copying (0: no cap beyond <see cref="Size"/>).</param>
/// <param name="Offset">Bytes to add to the pointer (recvmsg's msg_namelen lives at offset 8 of the msghdr).</param>
/// <param name="SelectorArg">When not -1, the capture applies only when args[SelectorArg] == <see cref="SelectorValue"/> (ioctl's request).</param>
/// <param name="SelectorValue">See <see cref="SelectorArg"/>.</param>
/// <param name="SelectorIsSet"><see cref="SelectorValue"/> is a set of values below 32, bit v for value v (epoll_ctl's ops that pass an event).</param>
/// <param name="Note">When strace prints the struct, if not always: the caller prints the pointer otherwise.</param>
/// <param name="AfterReturn">Printed after the return value (what poll and pselect6 report), never as the argument.</param>
/// <param name="OnStack">The pointer is the user stack pointer at the capture (plus <see cref="Offset"/>), not argument <see cref="Arg"/>; the payload is still filed under <see cref="Arg"/>.</param>
internal sealed record StructCapture(
    string Syscall,
    int Arg,
    bool AtExit,
    StructKind Kind,
    SizeSource Source,
    int Size = 0,
    int SizeArg = -1,
    int ElementSize = 1,
    int Cap = 0,
    int Offset = 0,
    int SelectorArg = -1,
    ulong SelectorValue = 0,
    string? Note = null,
    bool AfterReturn = false,
    bool OnStack = false,
    bool SelectorIsSet = false)
{
    /// <summary>Whether a call with these arguments meets the selector (always, without one); the kernel side tests the same.</summary>
    public bool Selects(ReadOnlySpan<ulong> args)
    {
        if (SelectorArg < 0)
        {
            return true;
        }
        if (SelectorArg >= args.Length)
        {
            return false;
        }
        uint value = (uint)args[SelectorArg];
        return SelectorIsSet ? value < 32 && (SelectorValue & (1UL << (int)value)) != 0 : value == (uint)SelectorValue;
    }
}

/// <summary>
/// The captures the kernel side should take so that the renderers of this folder can print what
/// strace 6.1 prints by default on x86-64. Sizes are what strace's abbreviated output reads, not
/// whole structs: a struct stat needs 56 of its 144 bytes.
/// </summary>
/// <remarks>
/// strace prints a struct a syscall fills only when the call succeeded (otherwise the pointer);
/// the kernel side can skip exit captures of failed calls. Where strace prints it only under a
/// further condition, <see cref="StructCapture.Note"/> says so.
/// </remarks>
internal static class StructCaptures
{
    private const string Succeeded = "only when the call succeeded";
    private const ulong TCGETS = 0x5401;
    private const ulong TCSETS = 0x5402;
    private const ulong TCSETSW = 0x5403;
    private const ulong TCSETSF = 0x5404;
    private const ulong TIOCGWINSZ = 0x5413;
    private const ulong TIOCSWINSZ = 0x5414;
    private const ulong TIOCGPGRP = 0x540f;
    private const ulong FIONREAD = 0x541b;

    public static IReadOnlyList<StructCapture> All { get; } = Build();

    private static readonly Dictionary<string, StructCapture[]> BySyscall = Index();

    /// <summary>The captures of one syscall (empty when none), in table order.</summary>
    public static ReadOnlySpan<StructCapture> For(string syscall) =>
        BySyscall.TryGetValue(syscall, out StructCapture[]? captures) ? captures : [];

    private static Dictionary<string, StructCapture[]> Index()
    {
        var index = new Dictionary<string, List<StructCapture>>(StringComparer.Ordinal);
        foreach (StructCapture capture in All)
        {
            if (!index.TryGetValue(capture.Syscall, out List<StructCapture>? list))
            {
                index[capture.Syscall] = list = [];
            }
            list.Add(capture);
        }
        var result = new Dictionary<string, StructCapture[]>(index.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, List<StructCapture>> pair in index)
        {
            result[pair.Key] = [.. pair.Value];
        }
        return result;
    }

    private static StructCapture[] Build()
    {
        var list = new List<StructCapture>();

        void Exit(string syscall, int arg, StructKind kind, int size, string? note = Succeeded) =>
            list.Add(new(syscall, arg, AtExit: true, kind, SizeSource.Fixed, size, Note: note));
        void Entry(string syscall, int arg, StructKind kind, int size, string? note = null) =>
            list.Add(new(syscall, arg, AtExit: false, kind, SizeSource.Fixed, size, Note: note));

        // struct stat and statx: the abbreviated form reads up to st_size / stx_size.
        Exit("stat", 1, StructKind.Stat, Stat.StatPrintedSize);
        Exit("fstat", 1, StructKind.Stat, Stat.StatPrintedSize);
        Exit("lstat", 1, StructKind.Stat, Stat.StatPrintedSize);
        Exit("newfstatat", 2, StructKind.Stat, Stat.StatPrintedSize);
        Exit("statx", 4, StructKind.Statx, Stat.StatxPrintedSize);

        // Socket addresses passed in: as long as the length argument says.
        foreach ((string name, int addr, int len) in new[] { ("connect", 1, 2), ("bind", 1, 2), ("sendto", 4, 5) })
        {
            list.Add(new(name, addr, AtExit: false, StructKind.SockAddr, SizeSource.Argument, SizeArg: len, Cap: SockAddr.MaxSize,
                Note: name == "sendto" ? "when the address pointer is not NULL" : null));
        }

        // Socket addresses returned: *addrlen before and after, and the address as long as the kernel says.
        foreach ((string name, int addr, int len) in new[] { ("accept", 1, 2), ("accept4", 1, 2), ("getsockname", 1, 2), ("getpeername", 1, 2), ("recvfrom", 4, 5) })
        {
            list.Add(new(name, len, AtExit: false, StructKind.SockLen, SizeSource.Fixed, 4, Note: "when both pointers are not NULL"));
            list.Add(new(name, len, AtExit: true, StructKind.SockLen, SizeSource.Fixed, 4, Note: "when both pointers are not NULL"));
            list.Add(new(name, addr, AtExit: true, StructKind.SockAddr, SizeSource.ArgumentPointee, SizeArg: len, Cap: SockAddr.MaxSize,
                Note: "when the call succeeded and both pointers are not NULL; printed with min(before, after) bytes"));
        }

        // Socket options: strace prints an option value of the size of an int as [N], others as the pointer.
        list.Add(new("setsockopt", 3, AtExit: false, StructKind.IntRef, SizeSource.Argument, SizeArg: 4, Cap: 8));
        list.Add(new("getsockopt", 4, AtExit: false, StructKind.SockLen, SizeSource.Fixed, 4, Note: "when both pointers are not NULL"));
        list.Add(new("getsockopt", 4, AtExit: true, StructKind.SockLen, SizeSource.Fixed, 4, Note: "when both pointers are not NULL"));
        list.Add(new("getsockopt", 3, AtExit: true, StructKind.IntRef, SizeSource.ArgumentPointee, SizeArg: 4, Cap: 8, Note: Succeeded));

        // Times.
        Entry("nanosleep", 0, StructKind.Timespec, Time.TimespecSize);
        Exit("nanosleep", 1, StructKind.Timespec, Time.TimespecSize, "only when the call was interrupted (EINTR or a restart code)");
        Entry("clock_nanosleep", 2, StructKind.Timespec, Time.TimespecSize);
        Exit("clock_nanosleep", 3, StructKind.Timespec, Time.TimespecSize, "only when the call was interrupted (EINTR or a restart code)");
        Exit("clock_gettime", 1, StructKind.Timespec, Time.TimespecSize);
        Exit("clock_getres", 1, StructKind.Timespec, Time.TimespecSize);
        Entry("clock_settime", 1, StructKind.Timespec, Time.TimespecSize);
        Exit("gettimeofday", 0, StructKind.Timeval, Time.TimespecSize);
        Entry("settimeofday", 0, StructKind.Timeval, Time.TimespecSize);
        Entry("setitimer", 1, StructKind.Itimerval, Time.ItimerspecSize);
        Exit("setitimer", 2, StructKind.Itimerval, Time.ItimerspecSize);
        Exit("getitimer", 1, StructKind.Itimerval, Time.ItimerspecSize);
        Entry("timer_settime", 2, StructKind.Itimerspec, Time.ItimerspecSize);
        Exit("timer_settime", 3, StructKind.Itimerspec, Time.ItimerspecSize);
        Exit("timer_gettime", 1, StructKind.Itimerspec, Time.ItimerspecSize);
        Entry("timerfd_settime", 2, StructKind.Itimerspec, Time.ItimerspecSize);
        Exit("timerfd_settime", 3, StructKind.Itimerspec, Time.ItimerspecSize);
        Exit("timerfd_gettime", 1, StructKind.Itimerspec, Time.ItimerspecSize);
        Entry("rt_sigtimedwait", 2, StructKind.Timespec, Time.TimespecSize);
        Entry("epoll_pwait2", 3, StructKind.Timespec, Time.TimespecSize);

        // int[2].
        Exit("pipe", 0, StructKind.IntPair, IntPair.Size);
        Exit("pipe2", 0, StructKind.IntPair, IntPair.Size);
        Exit("socketpair", 3, StructKind.IntPair, IntPair.Size);

        Exit("wait4", 1, StructKind.WaitStatus, WaitStatus.Size, "only when the call returned a pid (not 0, not an error)");

        Exit("getrlimit", 1, StructKind.Rlimit, Rlimit.Size);
        Entry("setrlimit", 1, StructKind.Rlimit, Rlimit.Size);
        Entry("prlimit64", 2, StructKind.Rlimit, Rlimit.Size);
        Exit("prlimit64", 3, StructKind.Rlimit, Rlimit.Size);

        // Signal sets: strace prints the pointer unless sigsetsize is 8.
        list.Add(new("rt_sigprocmask", 1, AtExit: false, StructKind.Sigset, SizeSource.Fixed, Signals.SigsetSize, SizeArg: 3));
        list.Add(new("rt_sigprocmask", 2, AtExit: true, StructKind.Sigset, SizeSource.Fixed, Signals.SigsetSize, SizeArg: 3, Note: Succeeded));
        list.Add(new("rt_sigpending", 0, AtExit: true, StructKind.Sigset, SizeSource.Fixed, Signals.SigsetSize, SizeArg: 1, Note: Succeeded));
        list.Add(new("rt_sigsuspend", 0, AtExit: false, StructKind.Sigset, SizeSource.Fixed, Signals.SigsetSize, SizeArg: 1));
        list.Add(new("rt_sigtimedwait", 0, AtExit: false, StructKind.Sigset, SizeSource.Fixed, Signals.SigsetSize, SizeArg: 3));
        Entry("sigaltstack", 0, StructKind.SignalStack, Signals.StackSize);
        Exit("sigaltstack", 1, StructKind.SignalStack, Signals.StackSize);
        Entry("rt_sigaction", 1, StructKind.Sigaction, Signals.SigactionSize);
        Exit("rt_sigaction", 2, StructKind.Sigaction, Signals.SigactionSize);

        Exit("uname", 0, StructKind.Utsname, Utsname.PrintedSize);
        Exit("sysinfo", 0, StructKind.SysInfo, SysInfo.PrintedSize);

        // pollfd arrays: events at entry, revents (printed after the return value) at exit.
        foreach (string name in new[] { "poll", "ppoll" })
        {
            list.Add(new(name, 0, AtExit: false, StructKind.PollFds, SizeSource.Argument, SizeArg: 1, ElementSize: Poll.PollfdSize, Cap: Poll.MaxPrinted * Poll.PollfdSize));
            list.Add(new(name, 0, AtExit: true, StructKind.PollFds, SizeSource.Argument, SizeArg: 1, ElementSize: Poll.PollfdSize, Cap: Poll.MaxPrinted * Poll.PollfdSize,
                Note: "only when the call returned more than 0", AfterReturn: true));
        }
        Entry("ppoll", 2, StructKind.Timespec, Time.TimespecSize);
        list.Add(new("ppoll", 2, AtExit: true, StructKind.Timespec, SizeSource.Fixed, Time.TimespecSize, Note: "only when the call returned more than 0: the time left", AfterReturn: true));

        // fd_sets: each as passed and as the kernel left it, bits below nfds (FdSet); the time left
        // after the return value. pselect6's sixth argument would be a ninth item: it shows as its address.
        for (int set = 1; set <= 3; set++)
        {
            list.Add(new("pselect6", set, AtExit: false, StructKind.FdSet, SizeSource.Argument, SizeArg: 0, Cap: FdSet.MaxBytes));
            list.Add(new("pselect6", set, AtExit: true, StructKind.FdSet, SizeSource.Argument, SizeArg: 0, Cap: FdSet.MaxBytes, Note: Succeeded, AfterReturn: true));
        }
        Entry("pselect6", 4, StructKind.Timespec, Time.TimespecSize);
        list.Add(new("pselect6", 4, AtExit: true, StructKind.Timespec, SizeSource.Fixed, Time.TimespecSize, Note: Succeeded, AfterReturn: true));
        list.Add(new("ppoll", 3, AtExit: false, StructKind.Sigset, SizeSource.Fixed, Signals.SigsetSize, SizeArg: 4));

        // DEL ignores the event (strace prints its address): reading it there would cost a read of
        // user memory on a call an event loop makes on every turn (redis-benchmark: 2 of its 5 a request).
        list.Add(new("epoll_ctl", 3, AtExit: false, StructKind.EpollEvent, SizeSource.Fixed, Epoll.EventSize,
            SelectorArg: 1, SelectorValue: (1UL << Epoll.CtlAdd) | (1UL << Epoll.CtlMod), SelectorIsSet: true,
            Note: "for EPOLL_CTL_ADD and EPOLL_CTL_MOD, when the pointer is not NULL"));
        foreach (string name in new[] { "epoll_wait", "epoll_pwait", "epoll_pwait2" })
        {
            list.Add(new(name, 1, AtExit: true, StructKind.EpollEvents, SizeSource.ReturnValue, ElementSize: Epoll.EventSize, Cap: Poll.MaxPrinted * Epoll.EventSize, Note: Succeeded));
        }

        // iovec arrays with their buffers: see IoVec for the layout. Reads are captured at exit,
        // with the return value limiting the bytes; writes at entry.
        int iovCap = IoVec.HeaderSize + (IoVec.MaxPrinted * (IoVec.IovecSize + 4 + IoVec.BufferBytes));
        foreach (string name in new[] { "readv", "preadv", "preadv2" })
        {
            list.Add(new(name, 1, AtExit: true, StructKind.IoVec, SizeSource.Composite, SizeArg: 2, Cap: iovCap, Note: Succeeded));
        }
        foreach (string name in new[] { "writev", "pwritev", "pwritev2" })
        {
            list.Add(new(name, 1, AtExit: false, StructKind.IoVec, SizeSource.Composite, SizeArg: 2, Cap: iovCap));
        }

        // msghdr: see MsgHdr for the layout.
        int msgCap = MsgHdr.Size + 4 + SockAddr.MaxSize + iovCap + 4 + MsgHdr.ControlBytes;
        list.Add(new("sendmsg", 1, AtExit: false, StructKind.MsgHdr, SizeSource.Composite, Cap: msgCap));
        list.Add(new("recvmsg", 1, AtExit: false, StructKind.SockLen, SizeSource.Fixed, 4, Offset: 8, Note: "msg_namelen at entry"));
        list.Add(new("recvmsg", 1, AtExit: true, StructKind.MsgHdr, SizeSource.Composite, Cap: msgCap, Note: "when the call failed strace prints only {msg_namelen=N}, N from entry"));

        // Buffers, printed as strings of at most 32 bytes (strace -s 32).
        foreach ((string name, int len) in new[] { ("write", 2), ("pwrite64", 2), ("sendto", 2) })
        {
            list.Add(new(name, 1, AtExit: false, StructKind.Buffer, SizeSource.Argument, SizeArg: len, Cap: IoVec.BufferBytes));
        }
        foreach ((string name, int len) in new[] { ("read", 2), ("pread64", 2), ("recvfrom", 2) })
        {
            list.Add(new(name, 1, AtExit: true, StructKind.Buffer, SizeSource.ReturnValue, SizeArg: len, Cap: IoVec.BufferBytes, Note: Succeeded));
        }

        // Directory entries: the kernel side counts them (walking d_reclen over the return value's bytes) and captures the count.
        list.Add(new("getdents64", 1, AtExit: true, StructKind.DirentCount, SizeSource.Composite, Dirents.CountSize, Note: Succeeded));
        list.Add(new("getdents", 1, AtExit: true, StructKind.DirentCount, SizeSource.Composite, Dirents.CountSize, Note: Succeeded));

        // Terminals.
        list.Add(new("ioctl", 2, AtExit: true, StructKind.Termios, SizeSource.Fixed, Termios.PrintedSize, SelectorArg: 1, SelectorValue: TCGETS, Note: Succeeded));
        foreach (ulong request in new[] { TCSETS, TCSETSW, TCSETSF })
        {
            list.Add(new("ioctl", 2, AtExit: false, StructKind.Termios, SizeSource.Fixed, Termios.PrintedSize, SelectorArg: 1, SelectorValue: request));
        }
        list.Add(new("ioctl", 2, AtExit: true, StructKind.Winsize, SizeSource.Fixed, Termios.WinsizeSize, SelectorArg: 1, SelectorValue: TIOCGWINSZ, Note: Succeeded));
        list.Add(new("ioctl", 2, AtExit: false, StructKind.Winsize, SizeSource.Fixed, Termios.WinsizeSize, SelectorArg: 1, SelectorValue: TIOCSWINSZ));
        list.Add(new("ioctl", 2, AtExit: true, StructKind.IntRef, SizeSource.Fixed, 4, SelectorArg: 1, SelectorValue: FIONREAD, Note: Succeeded));
        list.Add(new("ioctl", 2, AtExit: true, StructKind.IntRef, SizeSource.Fixed, 4, SelectorArg: 1, SelectorValue: TIOCGPGRP, Note: Succeeded));

        // The kernel's x86-64 rt_sigreturn finds its frame at sp - 8 (the restorer's return popped
        // pretcode), so the ucontext starts at sp and its uc_sigmask 296 bytes in, where strace reads it.
        list.Add(new("rt_sigreturn", 0, AtExit: false, StructKind.SignalFrame, SizeSource.Fixed, Signals.SigsetSize, Offset: Signals.FrameMaskOffset, OnStack: true));

        list.Add(new("clone3", 0, AtExit: false, StructKind.CloneArgs, SizeSource.Argument, SizeArg: 1, Cap: CloneArgs.Size, Note: "strace prints the pointer for a size below 64"));
        list.Add(new("clone3", 0, AtExit: true, StructKind.CloneResult, SizeSource.Composite, 8,
            Note: "when the call succeeded and flags has CLONE_PIDFD or CLONE_PARENT_SETTID: the s32 at clone_args.pidfd and at clone_args.parent_tid (-1 where the flag is not set)"));

        return [.. list];
    }
}
