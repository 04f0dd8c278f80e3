#pragma warning disable IDE1006 // names mirror bpf/traceloop.h
using System.Runtime.InteropServices;

namespace Traceloop.Recorder.Bpf;

// The C# mirror of bpf/traceloop.h, part 3: the keys and values of the containers map, the control
// ring, the trigger and exclusion maps, and the load-time configuration. RecordLayoutTests checks the
// sizes and offsets.

[StructLayout(LayoutKind.Sequential)]
internal struct tl_container
{
    public uint slot;
    public uint main_pid;
    public ulong missed;
    public ulong parent;
    public CaptureLevel level;
    public uint pad;
}

internal enum ControlKind : uint
{
    CgroupNew = 1,
    CgroupGone = 2,
    MainExit = 3,
    OomVictim = 4,
    FatalSignal = 5,
    SyscallError = 6,
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
    public uint tid;
    public int nr;
}

/// <summary>A program started in a recorded container (the exec_notices ring).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tl_exec_notice
{
    public ulong cgroup_id;
    public ulong ts;
    public uint pid;
    public uint pad;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tl_watched_error
{
    public uint nr;
    public uint err;
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
    public ulong sub_mask;
    public ulong sub_stride;
    public uint nsub_mask;
    public uint sub_lines;
    public uint max_str;
    public uint max_bytes;
    public uint max_argv;
    public uint cgroup_subsys;
    public int hierarchy_id;
    public uint metrics;
    public uint max_tls_bytes;
    public uint watch_errors;
}

/// <summary>The identity of pinned state: what a restarted recorder compares before taking it over.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_meta
{
    public uint format_version;
    public uint state_version;
    public fixed byte build[RecordLayout.MetaBuildLength];
    public ulong created;
    public ulong ring_size;
    public uint max_slots;
    public uint pad;
}

/// <summary>How a container's recording began (enum tl_origin).</summary>
internal enum RecordingOrigin : uint
{
    /// <summary>Its ring came with its cgroup: nothing before was missed.</summary>
    FirstSyscall = 1,

    /// <summary>Already running when a recorder without pinned state started: earlier events were never recorded.</summary>
    Adopted = 2,

    /// <summary>No ring was ready when it started: the events until one came are counted as lost.</summary>
    LateRing = 3,
}

[Flags]
internal enum SlotOwnerFlags : uint
{
    None = 0,
    ExitStatus = 1,
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_slot_owner
{
    public ulong cgroup_id;
    public ulong first_seen;
    public ulong exited;
    public ulong since;
    public int exit_status;
    public uint main_pid;
    public RecordingOrigin origin;
    public SlotOwnerFlags flags;
    public fixed byte path[RecordLayout.PathLength];
}
