#pragma warning disable IDE1006 // names mirror bpf/traceloop.h
using System.Runtime.InteropServices;

namespace Traceloop.Recorder.Bpf;

// The C# mirror of bpf/traceloop.h, part 1: the ring and the records the kernel writes into it
// (SyscallCaptures.cs and KernelMaps.cs hold the rest). Names follow the C header so the two can
// be read side by side; RecordLayoutTests checks the sizes, offsets and constants.

internal static class RecordLayout
{
    public const int FormatVersion = 2;
    /// <summary>TL_STATE_VERSION: the pinned maps and the structs only the recorder and the kernel's bookkeeping read (tl_meta, tl_slot_owner, tl_container).</summary>
    public const int StateVersion = 5;
    public const int MetaBuildLength = 32;
    public const int RingHeaderSize = 64;
    /// <summary>sizeof(struct tl_sub_hdr): each sub-ring's head on its own cache line.</summary>
    public const int SubRingHeaderSize = 64;
    public const int MaxRecord = 4096;
    public const int MaxString = 1024;
    public const int MaxArgv = 32;
    public const int MaxPayload = 3072;
    public const int MaxCaptures = 8;
    public const int CommLength = 16;
    public const int NameLength = 128;
    public const int PathLength = 512;
    public const uint SlotPending = 0xffffffff;
    public const ulong TriggerIntervalNs = 1_000_000_000;
}

internal enum RecordKind : byte
{
    Enter = 1,
    Exit = 2,
    ProcessExit = 3,
    Signal = 4,
    Tls = 5,
    /// <summary>A TCP state change of a socket the container made (struct tl_tcp).</summary>
    Tcp = 6,
}

/// <summary>enum tl_tls_direction.</summary>
internal enum TlsDirection : byte
{
    Write = 1,
    Read = 2,
}

/// <summary>enum tl_tls_library.</summary>
internal enum TlsLibrary : byte
{
    OpenSsl = 1,
    Go = 2,
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
    public ulong unused0, unused1;
    public ulong key;
    public ulong size;
    public uint nsub;
    public uint pad;
    public ulong sub_size;
    public ulong reserved0, reserved1;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_sub_hdr
{
    public ulong head;
    public ulong records;
    public ulong key;
    public ulong reserved0, reserved1, reserved2, reserved3, reserved4;
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

/// <summary>Plaintext handed to or returned by a TLS library; at most one payload (the bytes) follows.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_tls
{
    public tl_rec h;
    public TlsDirection direction;
    public TlsLibrary library;
    public ushort npayloads;
    public int fd;
    public long ret;
    public ulong start;
    public fixed byte comm[RecordLayout.CommLength];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_tcp
{
    public tl_rec h;
    public ulong sk;
    public int oldstate;
    public int newstate;
    public ushort family;
    public ushort sport;
    public ushort dport;
    public ushort pad;
    public fixed byte saddr[16];
    public fixed byte daddr[16];
    public fixed byte comm[RecordLayout.CommLength];
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_proc_exit
{
    public tl_rec h;
    public int exit_code;
    public uint is_leader;
    public fixed byte comm[RecordLayout.CommLength];
}
