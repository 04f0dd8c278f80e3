using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding.Flags;
using Traceloop.Recorder.Decoding.Structs;
using StructSize = Traceloop.Recorder.Decoding.Structs.SizeSource;
using SizeSource = Traceloop.Recorder.Bpf.SizeSource;

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
    /// <summary>A count of environment variables: <c>0x7ffd... /* 12 vars */</c>.</summary>
    Vars,
    /// <summary>A struct: printed by its decoder, or as its address.</summary>
    Struct,
    /// <summary>
    /// A task name (prctl PR_SET_NAME, PR_GET_NAME): strace reads TASK_COMM_LEN (16) bytes and shows at most
    /// 15 of them, with <c>...</c> when no NUL ended the name within the 16.
    /// </summary>
    TaskName,
    /// <summary>Every byte as a hex escape, as strace prints random bytes: <c>"\x5a\x0f"</c>.</summary>
    Hex,
    /// <summary>An argv array, or (capture level no-argv) its count: <c>0x7ffd... /* 3 args */</c>.</summary>
    Argv,
}

/// <summary>One item of the kernel's table and how the recorder reads what it copies.</summary>
internal readonly record struct PlannedCapture(tl_capture Item, PayloadShape Shape);

internal static class CaptureTable
{
    /// <summary>TASK_COMM_LEN: the bytes of a task name strace reads.</summary>
    public const int TaskNameBytes = 16;

    private static readonly Lazy<Dictionary<(int Nr, int Arg), PayloadShape>> s_shapes = new(Shapes);

    /// <summary>How a BYTES payload of an argument reads: text (a data buffer, a path) or a struct.</summary>
    public static PayloadShape ShapeOf(int nr, int arg) =>
        s_shapes.Value.TryGetValue((nr, arg), out PayloadShape shape) ? shape : PayloadShape.Struct;

    private static Dictionary<(int, int), PayloadShape> Shapes()
    {
        var shapes = new Dictionary<(int, int), PayloadShape>();
        foreach ((int nr, List<PlannedCapture> items) in Plan())
        {
            foreach (PlannedCapture planned in items)
            {
                shapes[(nr, planned.Item.arg)] = planned.Shape;
            }
        }
        return shapes;
    }

    /// <summary>Syscall number → its capture items, for every syscall that has any.</summary>
    public static Dictionary<int, tl_syscall_captures> Build()
    {
        var result = new Dictionary<int, tl_syscall_captures>();
        foreach ((int nr, List<PlannedCapture> items) in Plan())
        {
            result[nr] = Pack(nr, [.. items.Select(i => i.Item)]);
        }
        return result;
    }

    private static Dictionary<int, List<PlannedCapture>> Plan()
    {
        var plans = new Dictionary<int, List<PlannedCapture>>();

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
                // At capture level no-argv the kernel sends the count instead: /* 3 args */.
                Enter(CaptureKind.StringArray, filename + 1, flags: CaptureFlags.NoReread, shape: PayloadShape.Argv),
                // strace prints the environment as its address and a count: /* 12 vars */.
                Enter(CaptureKind.StringArrayCount, filename + 2, flags: CaptureFlags.NoReread, shape: PayloadShape.Vars),
            ];
        }

        // Data buffers: their first max_bytes bytes, written data at entry, read data at exit.
        foreach (string write in (string[])["write", "pwrite64"])
        {
            Add(plans, Number(write), Enter(CaptureKind.Bytes, 1, SizeSource.Arg, 2, flags: CaptureFlags.Data, shape: PayloadShape.Text));
        }
        foreach (string read in (string[])["read", "pread64"])
        {
            Add(plans, Number(read), Exit(CaptureKind.Bytes, 1, SizeSource.Ret, flags: CaptureFlags.Data, shape: PayloadShape.Text));
        }
        Add(plans, Number("sendto"), Enter(CaptureKind.Bytes, 1, SizeSource.Arg, 2, flags: CaptureFlags.Data, shape: PayloadShape.Text));
        Add(plans, Number("recvfrom"), Exit(CaptureKind.Bytes, 1, SizeSource.Ret, flags: CaptureFlags.Data, shape: PayloadShape.Text));
        Add(plans, Number("readlink"), Exit(CaptureKind.Bytes, 1, SizeSource.Ret, limit: RecordLayout.MaxString, shape: PayloadShape.Text));
        Add(plans, Number("readlinkat"), Exit(CaptureKind.Bytes, 2, SizeSource.Ret, limit: RecordLayout.MaxString, shape: PayloadShape.Text));
        Add(plans, Number("getcwd"), Exit(CaptureKind.Bytes, 0, SizeSource.Ret, limit: RecordLayout.MaxString, shape: PayloadShape.CString));
        Add(plans, Number("getdents64"), Exit(CaptureKind.DirentCount, 1, SizeSource.Ret));

        // strace prints the random bytes getrandom returned, all as hex escapes.
        Add(plans, Number("getrandom"), Exit(CaptureKind.Bytes, 0, SizeSource.Ret, flags: CaptureFlags.Data, shape: PayloadShape.Hex));

        // The thread name prctl sets or gets: which argument is a string depends on the option.
        // One byte more than strace reads tells a 15-byte name (complete) from a longer one (cut).
        Add(plans, Number("prctl"), When(0, ProcessControl.PR_SET_NAME, Enter(CaptureKind.String, 1, limit: TaskNameBytes + 1, shape: PayloadShape.TaskName)));
        Add(plans, Number("prctl"), When(0, ProcessControl.PR_GET_NAME, Exit(CaptureKind.String, 1, limit: TaskNameBytes + 1, shape: PayloadShape.TaskName)));

        // Structs: what strace's renderers need, from their own table (Structs/StructCaptures).
        foreach (StructCapture capture in StructCaptures.All)
        {
            if (ToKernel(capture) is { } item && SyscallTable.TryGetNumber(capture.Syscall, out int nr))
            {
                Add(plans, nr, item);
            }
        }
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
                case 3: packed.item3 = ordered[i]; break;
                case 4: packed.item4 = ordered[i]; break;
                case 5: packed.item5 = ordered[i]; break;
                case 6: packed.item6 = ordered[i]; break;
                default: packed.item7 = ordered[i]; break;
            }
        }
        return packed;
    }

    private static void Add(Dictionary<int, List<PlannedCapture>> plans, int nr, PlannedCapture item)
    {
        if (!plans.TryGetValue(nr, out List<PlannedCapture>? items))
        {
            plans[nr] = items = [];
        }
        items.Add(item);
    }

    private static PlannedCapture Enter(CaptureKind kind, int arg, SizeSource source = SizeSource.Fixed, int sizeArg = 0, int limit = 0, CaptureFlags flags = CaptureFlags.None, int size = 0, PayloadShape shape = PayloadShape.Struct) =>
        new(new() { kind = kind, arg = (byte)arg, at_exit = 0, size_src = source, size_arg = (byte)sizeArg, size = (ushort)size, limit = (ushort)limit, flags = flags }, shape);

    // Output buffers are only defined when the syscall succeeded.
    private static PlannedCapture Exit(CaptureKind kind, int arg, SizeSource source = SizeSource.Fixed, int sizeArg = 0, int limit = 0, CaptureFlags flags = CaptureFlags.None, int size = 0, PayloadShape shape = PayloadShape.Struct) =>
        new(new() { kind = kind, arg = (byte)arg, at_exit = 1, size_src = source, size_arg = (byte)sizeArg, size = (ushort)size, limit = (ushort)limit, flags = flags | CaptureFlags.IfOk }, shape);

    /// <summary>
    /// The item, taken only when args[<paramref name="selectorArg"/>] (as a u32) is <paramref name="value"/>,
    /// or with <paramref name="isSet"/> one of the values whose bits <paramref name="value"/> sets.
    /// </summary>
    private static PlannedCapture When(int selectorArg, ulong value, PlannedCapture planned, bool isSet = false)
    {
        tl_capture item = planned.Item;
        item.flags |= isSet ? CaptureFlags.IfArgIn : CaptureFlags.IfArg;
        item.sel_arg = (byte)selectorArg;
        item.sel_value = (uint)value;
        return planned with { Item = item };
    }

    /// <summary>
    /// The kernel item for a struct capture, or null for what the kernel cannot copy yet: pointers
    /// inside another struct (clone3's results) and the captures the plan above takes itself (data
    /// buffers, directory entry counts).
    /// </summary>
    private static PlannedCapture? ToKernel(StructCapture c)
    {
        if (c.Kind is StructKind.Buffer or StructKind.DirentCount or StructKind.CloneResult)
        {
            return null;
        }
        PlannedCapture planned;
        if (c.Source == StructSize.Composite)
        {
            // iovec and msghdr: the kernel assembles the layout their renderers document; what the
            // program wrote is read at entry, what the kernel wrote at exit bounded by the return value.
            (CaptureKind kind, int limit) = c.Kind switch
            {
                StructKind.IoVec => (CaptureKind.IoVec, 0),
                StructKind.MsgHdr => (CaptureKind.MsgHdr, MsgHdr.ControlBytes),
                _ => (CaptureKind.None, 0),
            };
            if (kind == CaptureKind.None)
            {
                return null;
            }
            int sizeArg = Math.Max(c.SizeArg, 0);
            planned = c.AtExit
                ? Exit(kind, c.Arg, SizeSource.Ret, sizeArg, limit)
                : Enter(kind, c.Arg, SizeSource.Fixed, sizeArg, limit);
        }
        else
        {
            int limit = c.Cap > 0 ? c.Cap : c.Size;
            (SizeSource source, int size) = c.Source switch
            {
                StructSize.Fixed => (SizeSource.Fixed, c.Size),
                StructSize.Argument => c.ElementSize == 1 ? (SizeSource.Arg, 0) : (SizeSource.ArgTimes, c.ElementSize),
                StructSize.ArgumentPointee when c.ElementSize == 1 => (SizeSource.ArgPointer, 0),
                StructSize.ReturnValue => c.ElementSize == 1 ? (SizeSource.Ret, 0) : (SizeSource.RetTimes, c.ElementSize),
                _ => (SizeSource.Fixed, -1),
            };
            if (size < 0 || limit <= 0)
            {
                return null;
            }
            int sizeArg = Math.Max(c.SizeArg, 0);
            CaptureFlags flags = c.OnStack ? CaptureFlags.Stack : CaptureFlags.None;
            planned = c.AtExit
                ? Exit(CaptureKind.Bytes, c.Arg, source, sizeArg, Math.Min(limit, RecordLayout.MaxString), flags, size)
                : Enter(CaptureKind.Bytes, c.Arg, source, sizeArg, Math.Min(limit, RecordLayout.MaxString), flags, size);
        }
        tl_capture item = planned.Item;
        item.offset = (uint)c.Offset;
        planned = planned with { Item = item };
        return c.SelectorArg >= 0 ? When(c.SelectorArg, c.SelectorValue, planned, c.SelectorIsSet) : planned;
    }

    private static readonly Lazy<Dictionary<(int Nr, int Arg, bool AtExit), StructCapture[]>> s_structs = new(IndexStructs);
    private static readonly Lazy<Dictionary<int, int>> s_sockLenArgs = new(IndexSockLens);

    /// <summary>
    /// The struct renderer's capture for an argument, read at entry or at exit, whose selector (if it
    /// has one) the call's arguments meet: an index built once, as this runs per argument of every
    /// dumped event.
    /// </summary>
    public static StructCapture? StructFor(int nr, int arg, bool atExit, ReadOnlySpan<ulong> args)
    {
        if (!s_structs.Value.TryGetValue((nr, arg, atExit), out StructCapture[]? captures))
        {
            return null;
        }
        foreach (StructCapture capture in captures)
        {
            if (capture.Selects(args))
            {
                return capture;
            }
        }
        return null;
    }

    /// <summary>The argument holding a value-result socklen_t, if the syscall has one.</summary>
    public static int? SockLenArg(int nr) => s_sockLenArgs.Value.TryGetValue(nr, out int arg) ? arg : null;

    private static Dictionary<(int, int, bool), StructCapture[]> IndexStructs()
    {
        var index = new Dictionary<(int, int, bool), List<StructCapture>>();
        foreach (StructCapture c in StructCaptures.All)
        {
            if (ToKernel(c) is not null && SyscallTable.TryGetNumber(c.Syscall, out int nr))
            {
                if (!index.TryGetValue((nr, c.Arg, c.AtExit), out List<StructCapture>? list))
                {
                    index[(nr, c.Arg, c.AtExit)] = list = [];
                }
                list.Add(c);
            }
        }
        return index.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray());
    }

    private static Dictionary<int, int> IndexSockLens()
    {
        var index = new Dictionary<int, int>();
        foreach (StructCapture c in StructCaptures.All)
        {
            if (c.Kind == StructKind.SockLen && SyscallTable.TryGetNumber(c.Syscall, out int nr))
            {
                index.TryAdd(nr, c.Arg);
            }
        }
        return index;
    }

    private static int Number(string name) =>
        SyscallTable.TryGetNumber(name, out int nr) ? nr : throw new InvalidOperationException($"the syscall table has no {name}");
}
