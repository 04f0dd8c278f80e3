using System.Runtime.InteropServices;

namespace Traceloop.Recorder.Records;

// The C# mirror of bpf/traceloop.h. Names follow the C header so the two can be read side
// by side; RecordLayoutTests checks the sizes and offsets.

internal static class RecordLayout
{
    public const int FormatVersion = 1;
    public const int RingHeaderSize = 64;
    public const int MaxRecord = 4096;
    public const int MaxString = 1024;
    public const int MaxArgv = 32;
    public const int MaxPayload = 3072;
    public const int MaxCaptures = 8;
    public const int CommLength = 16;
    public const int NameLength = 128;
    public const int PathLength = 512;
    public const uint SlotPending = 0xffffffff;

    /// <summary>Bytes of one ring map value for a data area of <paramref name="ringSize"/> bytes.</summary>
    public static int RingValueSize(int ringSize) => RingHeaderSize + ringSize + MaxRecord;
}

internal enum RecordKind : byte
{
    Enter = 1,
    Exit = 2,
    ProcessExit = 3,
    Signal = 4,
}

[Flags]
internal enum RecordFlags : byte
{
    None = 0,
    Truncated = 1 << 0,
}

internal enum PayloadKind : byte
{
    String = 1,
    Bytes = 2,
    /// <summary>argv-style: each string followed by its NUL.</summary>
    StringArray = 3,
    /// <summary>A <c>__u32</c> counted in the kernel (getdents64 entries).</summary>
    Count = 4,
}

[Flags]
internal enum PayloadFlags : byte
{
    None = 0,
    Truncated = 1 << 0,
    Fault = 1 << 1,
    /// <summary>Read at exit because the page was not in at entry.</summary>
    Reread = 1 << 2,
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_ring_hdr
{
    public ulong head;
    public ulong records;
    public ulong key;
    public ulong size;
    public ulong reserved0, reserved1, reserved2, reserved3;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_rec
{
    public ulong tag;
    public uint seq;
    public ushort len;
    public RecordKind kind;
    public RecordFlags flags;
    public ulong ts;
    public uint pid;
    public uint tid;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_payload
{
    public PayloadKind kind;
    public byte arg;
    public PayloadFlags flags;
    public byte pad;
    public ushort len;
    public ushort pad2;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_enter
{
    public tl_rec h;
    public uint nr;
    public ushort npayloads;
    public ushort pad;
    public fixed byte comm[RecordLayout.CommLength];
    public fixed ulong args[6];
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_exit
{
    public tl_rec h;
    public uint nr;
    public ushort npayloads;
    public ushort pad;
    public long ret;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_signal
{
    public tl_rec h;
    public int signo;
    public int code;
    public ulong handler;
    public fixed byte info[48];
    public fixed byte comm[RecordLayout.CommLength];
}

internal enum CaptureKind : byte
{
    None = 0,
    String = 1,
    Bytes = 2,
    StringArray = 3,
    DirentCount = 4,
    StringArrayCount = 5,
    IoVec = 6,
    MsgHdr = 7,
}

internal enum SizeSource : byte
{
    Fixed = 0,
    Arg = 1,
    Ret = 2,
    ArgPointer = 3,
    ArgTimes = 4,
    RetTimes = 5,
}

[Flags]
internal enum CaptureFlags : byte
{
    None = 0,
    Data = 1 << 0,
    IfOk = 1 << 1,
    NoReread = 1 << 2,
    IfArg = 1 << 3,
    Stack = 1 << 4,
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_capture
{
    public CaptureKind kind;
    public byte arg;
    public byte at_exit;
    public SizeSource size_src;
    public byte size_arg;
    public CaptureFlags flags;
    public ushort size;
    public ushort limit;
    public byte sel_arg;
    public byte pad;
    public uint sel_value;
    public uint offset;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_syscall_captures
{
    public byte enter;
    public byte exit;
    public byte pad0, pad1, pad2, pad3, pad4, pad5;
    public tl_capture item0, item1, item2, item3, item4, item5, item6, item7;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_proc_exit
{
    public tl_rec h;
    public int exit_code;
    public uint is_leader;
    public fixed byte comm[RecordLayout.CommLength];
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_container
{
    public uint slot;
    public uint main_pid;
    public ulong missed;
    public ulong parent;
}

internal enum ControlKind : uint
{
    CgroupNew = 1,
    CgroupGone = 2,
    MainExit = 3,
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_control
{
    public ControlKind kind;
    public uint slot;
    public ulong cgroup_id;
    public ulong parent_id;
    public ulong ts;
    public int status;
    public uint pid;
    public fixed byte path[RecordLayout.PathLength];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_pod_name
{
    public const int Length = 96;
    public fixed byte name[Length];
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_config
{
    public ulong ring_mask;
    public uint max_str;
    public uint max_bytes;
    public uint max_argv;
    public uint cgroup_subsys;
    public int hierarchy_id;
    public uint pad;
}
