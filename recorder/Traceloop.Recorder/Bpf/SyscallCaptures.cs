#pragma warning disable IDE1006 // names mirror bpf/traceloop.h
using System.Runtime.InteropServices;

namespace Traceloop.Recorder.Bpf;

// The C# mirror of bpf/traceloop.h, part 2: the captures map, which says what the kernel copies
// from user memory for each syscall. Decoding/CaptureTable builds the plan; KernelProbes loads it
// as KernelProbesConfig.Captures. RecordLayoutTests checks the sizes and offsets.

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
    IfArgIn = 1 << 5,
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
