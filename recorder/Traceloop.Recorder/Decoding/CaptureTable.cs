using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Decoding;

/// <summary>
/// What the kernel copies from user memory for each syscall, loaded into its captures map at
/// start: every NUL-terminated string argument at entry (from the syscall table), plus the
/// buffers and structs strace shows, each read when its content is defined (input at entry,
/// output at exit). Everything else costs nothing: a getppid record carries no payload.
/// </summary>
internal enum PayloadShape
{
    /// <summary>Printed as a quoted string, like strace prints buffers.</summary>
    Text,
    /// <summary>A NUL-terminated string in an output buffer (getcwd).</summary>
    CString,
    /// <summary>A struct: printed by its decoder, or as its address.</summary>
    Struct,
}

internal static class CaptureTable
{
    private const int SockaddrLimit = 128; // sizeof(struct sockaddr_storage)
    private const int StructStat = 144;
    private const int StructStatx = 256;
    private const int Timespec = 16;
    private const int KernelSigaction = 32;
    private const int KernelSigset = 8;
    private const int Rlimit = 16;
    private const int Utsname = 390;
    private const int Sysinfo = 112;
    private const int Pollfd = 8;
    private const int EpollEvent = 12; // packed on x86-64
    private const int CloneArgs = 88;

    private static readonly Lazy<Dictionary<(int Nr, int Arg), PayloadShape>> s_shapes = new(Shapes);

    /// <summary>How a BYTES payload of an argument reads: text (a data buffer, a path) or a struct.</summary>
    public static PayloadShape ShapeOf(int nr, int arg) =>
        s_shapes.Value.TryGetValue((nr, arg), out PayloadShape shape) ? shape : PayloadShape.Struct;

    private static Dictionary<(int, int), PayloadShape> Shapes()
    {
        var shapes = new Dictionary<(int, int), PayloadShape>();
        foreach ((int nr, List<tl_capture> items) in Plan())
        {
            foreach (tl_capture item in items)
            {
                shapes[(nr, item.arg)] = (item.flags & CaptureFlags.Text) != 0 ? PayloadShape.Text
                    : (item.flags & CaptureFlags.CString) != 0 ? PayloadShape.CString
                    : PayloadShape.Struct;
            }
        }
        return shapes;
    }

    /// <summary>Syscall number → its capture items, for every syscall that has any.</summary>
    public static Dictionary<int, tl_syscall_captures> Build()
    {
        var result = new Dictionary<int, tl_syscall_captures>();
        foreach ((int nr, List<tl_capture> items) in Plan())
        {
            result[nr] = Pack(nr, items);
        }
        return result;
    }

    private static Dictionary<int, List<tl_capture>> Plan()
    {
        var plans = new Dictionary<int, List<tl_capture>>();

        // Strings first: every known string parameter, read at entry.
        for (int nr = 0; nr <= SyscallTable.MaxNumber; nr++)
        {
            if (SyscallTable.Get(nr) is not { ParamsKnown: true } info)
            {
                continue;
            }
            for (int i = 0; i < info.Params.Length; i++)
            {
                if (info.Params[i].Kind == ParamKind.String)
                {
                    Add(plans, nr, Enter(CaptureKind.String, i));
                }
            }
        }

        // execve's memory is replaced when it succeeds: its strings can only be read at entry.
        foreach (string exec in (string[])["execve", "execveat"])
        {
            int nr = Number(exec);
            int filename = exec == "execve" ? 0 : 1;
            plans[nr] =
            [
                Enter(CaptureKind.String, filename, flags: CaptureFlags.NoReread),
                Enter(CaptureKind.StringArray, filename + 1, flags: CaptureFlags.NoReread),
            ];
        }

        // Data buffers: their first max_bytes bytes, written data at entry, read data at exit.
        foreach (string write in (string[])["write", "pwrite64"])
        {
            Add(plans, Number(write), Enter(CaptureKind.Bytes, 1, SizeSource.Arg, 2, flags: CaptureFlags.Data | CaptureFlags.Text));
        }
        foreach (string read in (string[])["read", "pread64"])
        {
            Add(plans, Number(read), Exit(CaptureKind.Bytes, 1, SizeSource.Ret, flags: CaptureFlags.Data | CaptureFlags.Text));
        }
        Add(plans, Number("sendto"), Enter(CaptureKind.Bytes, 1, SizeSource.Arg, 2, flags: CaptureFlags.Data | CaptureFlags.Text));
        Add(plans, Number("sendto"), Enter(CaptureKind.Bytes, 4, SizeSource.Arg, 5, SockaddrLimit));
        Add(plans, Number("recvfrom"), Exit(CaptureKind.Bytes, 1, SizeSource.Ret, flags: CaptureFlags.Data | CaptureFlags.Text));
        Add(plans, Number("recvfrom"), Exit(CaptureKind.Bytes, 4, SizeSource.ArgPointer, 5, SockaddrLimit));
        Add(plans, Number("readlink"), Exit(CaptureKind.Bytes, 1, SizeSource.Ret, limit: RecordLayout.MaxString, flags: CaptureFlags.Text));
        Add(plans, Number("readlinkat"), Exit(CaptureKind.Bytes, 2, SizeSource.Ret, limit: RecordLayout.MaxString, flags: CaptureFlags.Text));
        Add(plans, Number("getcwd"), Exit(CaptureKind.Bytes, 0, SizeSource.Ret, limit: RecordLayout.MaxString, flags: CaptureFlags.CString));

        // Socket addresses, and the socklen_t a value-result length holds before and after.
        foreach (string name in (string[])["connect", "bind"])
        {
            Add(plans, Number(name), Enter(CaptureKind.Bytes, 1, SizeSource.Arg, 2, SockaddrLimit));
        }
        foreach (string name in (string[])["accept", "accept4", "getsockname", "getpeername"])
        {
            int nr = Number(name);
            Add(plans, nr, Enter(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, 4));
            Add(plans, nr, Exit(CaptureKind.Bytes, 1, SizeSource.ArgPointer, 2, SockaddrLimit));
            Add(plans, nr, Exit(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, 4));
        }

        // Structs, whole.
        Add(plans, Number("stat"), Exit(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, StructStat));
        Add(plans, Number("lstat"), Exit(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, StructStat));
        Add(plans, Number("fstat"), Exit(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, StructStat));
        Add(plans, Number("newfstatat"), Exit(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, StructStat));
        Add(plans, Number("statx"), Exit(CaptureKind.Bytes, 4, SizeSource.Fixed, 0, StructStatx));
        Add(plans, Number("pipe"), Exit(CaptureKind.Bytes, 0, SizeSource.Fixed, 0, 8));
        Add(plans, Number("pipe2"), Exit(CaptureKind.Bytes, 0, SizeSource.Fixed, 0, 8));
        Add(plans, Number("socketpair"), Exit(CaptureKind.Bytes, 3, SizeSource.Fixed, 0, 8));
        Add(plans, Number("wait4"), Exit(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, 4));
        Add(plans, Number("nanosleep"), Enter(CaptureKind.Bytes, 0, SizeSource.Fixed, 0, Timespec));
        Add(plans, Number("clock_nanosleep"), Enter(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, Timespec));
        Add(plans, Number("clock_gettime"), Exit(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, Timespec));
        Add(plans, Number("gettimeofday"), Exit(CaptureKind.Bytes, 0, SizeSource.Fixed, 0, Timespec));
        Add(plans, Number("rt_sigaction"), Enter(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, KernelSigaction));
        Add(plans, Number("rt_sigaction"), Exit(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, KernelSigaction));
        Add(plans, Number("rt_sigprocmask"), Enter(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, KernelSigset));
        Add(plans, Number("rt_sigprocmask"), Exit(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, KernelSigset));
        Add(plans, Number("prlimit64"), Enter(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, Rlimit));
        Add(plans, Number("prlimit64"), Exit(CaptureKind.Bytes, 3, SizeSource.Fixed, 0, Rlimit));
        Add(plans, Number("getrlimit"), Exit(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, Rlimit));
        Add(plans, Number("setrlimit"), Enter(CaptureKind.Bytes, 1, SizeSource.Fixed, 0, Rlimit));
        Add(plans, Number("uname"), Exit(CaptureKind.Bytes, 0, SizeSource.Fixed, 0, Utsname));
        Add(plans, Number("sysinfo"), Exit(CaptureKind.Bytes, 0, SizeSource.Fixed, 0, Sysinfo));
        Add(plans, Number("poll"), Enter(CaptureKind.Bytes, 0, SizeSource.ArgTimes, 1, Pollfd));
        Add(plans, Number("poll"), Exit(CaptureKind.Bytes, 0, SizeSource.ArgTimes, 1, Pollfd));
        Add(plans, Number("ppoll"), Enter(CaptureKind.Bytes, 0, SizeSource.ArgTimes, 1, Pollfd));
        Add(plans, Number("ppoll"), Enter(CaptureKind.Bytes, 2, SizeSource.Fixed, 0, Timespec));
        Add(plans, Number("ppoll"), Exit(CaptureKind.Bytes, 0, SizeSource.ArgTimes, 1, Pollfd));
        Add(plans, Number("epoll_ctl"), Enter(CaptureKind.Bytes, 3, SizeSource.Fixed, 0, EpollEvent));
        Add(plans, Number("epoll_wait"), Exit(CaptureKind.Bytes, 1, SizeSource.RetTimes, 0, EpollEvent));
        Add(plans, Number("epoll_pwait"), Exit(CaptureKind.Bytes, 1, SizeSource.RetTimes, 0, EpollEvent));
        Add(plans, Number("getdents64"), Exit(CaptureKind.DirentCount, 1, SizeSource.Ret));
        Add(plans, Number("clone3"), Enter(CaptureKind.Bytes, 0, SizeSource.Arg, 1, CloneArgs));
        Add(plans, Number("setsockopt"), Enter(CaptureKind.Bytes, 3, SizeSource.Arg, 4, 64));
        Add(plans, Number("getsockopt"), Exit(CaptureKind.Bytes, 3, SizeSource.ArgPointer, 4, 64));

        return plans;
    }

    private static tl_syscall_captures Pack(int nr, List<tl_capture> items)
    {
        // The kernel runs the entry items first, then the exit items from index "enter" on.
        List<tl_capture> ordered = [.. items.Where(i => i.at_exit == 0), .. items.Where(i => i.at_exit != 0)];
        if (ordered.Count > RecordLayout.MaxCaptures)
        {
            throw new InvalidOperationException($"syscall {SyscallTable.Name(nr)} has {ordered.Count} capture items; the kernel takes {RecordLayout.MaxCaptures}");
        }
        for (int i = 0; i < ordered.Count; i++)
        {
            tl_capture item = ordered[i];
            item.flags &= CaptureFlags.KernelMask;
            ordered[i] = item;
        }
        var packed = new tl_syscall_captures
        {
            enter = (byte)ordered.Count(i => i.at_exit == 0),
            exit = (byte)ordered.Count(i => i.at_exit != 0),
        };
        for (int i = 0; i < ordered.Count; i++)
        {
            switch (i)
            {
                case 0: packed.item0 = ordered[i]; break;
                case 1: packed.item1 = ordered[i]; break;
                case 2: packed.item2 = ordered[i]; break;
                default: packed.item3 = ordered[i]; break;
            }
        }
        return packed;
    }

    private static void Add(Dictionary<int, List<tl_capture>> plans, int nr, tl_capture item)
    {
        if (!plans.TryGetValue(nr, out List<tl_capture>? items))
        {
            plans[nr] = items = [];
        }
        items.Add(item);
    }

    private static tl_capture Enter(CaptureKind kind, int arg, SizeSource source = SizeSource.Fixed, int sizeArg = 0, int limit = 0, CaptureFlags flags = CaptureFlags.None) =>
        new() { kind = kind, arg = (byte)arg, at_exit = 0, size_src = source, size_arg = (byte)sizeArg, size = (ushort)limit, flags = flags };

    // Output buffers are only defined when the syscall succeeded.
    private static tl_capture Exit(CaptureKind kind, int arg, SizeSource source = SizeSource.Fixed, int sizeArg = 0, int limit = 0, CaptureFlags flags = CaptureFlags.None) =>
        new() { kind = kind, arg = (byte)arg, at_exit = 1, size_src = source, size_arg = (byte)sizeArg, size = (ushort)limit, flags = flags | CaptureFlags.IfOk };

    private static int Number(string name) =>
        SyscallTable.TryGetNumber(name, out int nr) ? nr : throw new InvalidOperationException($"the syscall table has no {name}");
}
