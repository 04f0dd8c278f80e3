#pragma warning disable IDE1006 // names mirror bpf/traceloop.h
using System.Runtime.InteropServices;

namespace Traceloop.Recorder.Bpf;

// The C# mirror of bpf/traceloop.h, part 4: the keys and values of the syscall metrics maps.
// RecordLayoutTests checks the sizes, offsets and constants.

/// <summary>The constants of the syscall metrics maps.</summary>
internal static class SyscallMetricsLayout
{
    /// <summary>Distinct syscalls with their own series per container (TL_METRICS_MAX_SYSCALLS).</summary>
    public const int MaxSyscalls = 128;

    /// <summary>The syscall number of the series past the cap (TL_METRICS_OTHER).</summary>
    public const uint Other = 0xfffffffe;

    /// <summary>Latency buckets (TL_METRICS_BUCKETS).</summary>
    public const int Buckets = 24;

    /// <summary>Bucket 0 holds calls under 2^FirstShift ns; bucket b (0 &lt; b &lt; last) ends at 2^(b + FirstShift) ns.</summary>
    public const int FirstShift = 10;

    /// <summary>Syscalls with a place of their own in a row (TL_METRICS_ROW_NRS); the rest go through metrics_wide.</summary>
    public const int RowNumbers = 512;

    /// <summary>The row's place for syscall number -1 (TL_METRICS_ROW_UNNUMBERED).</summary>
    public const int RowUnnumbered = RowNumbers;

    /// <summary>The row's place for the other series (TL_METRICS_ROW_OTHER).</summary>
    public const int RowOther = RowNumbers + 1;

    /// <summary>Places in a row (TL_METRICS_ROW_LEN).</summary>
    public const int RowLength = RowNumbers + 2;

    /// <summary>The syscall number a row's place i stands for.</summary>
    public static uint NumberAt(int place) => place switch
    {
        < RowNumbers => (uint)place,
        RowUnnumbered => uint.MaxValue,
        _ => Other,
    };
}

/// <summary>A container's syscalls → their series in syscall_stats (0: none yet).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_metrics_row
{
    public uint count;
    public uint pad;
    public fixed uint series[SyscallMetricsLayout.RowLength];
}

/// <summary>Key of the metrics_wide map: a syscall number outside the row.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tl_metrics_wide_key
{
    public uint row;
    public uint nr;
}

/// <summary>One CPU's counts for one series.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct tl_syscall_stats
{
    public ulong calls;
    public ulong errors;
    public ulong ns;
    public fixed ulong buckets[SyscallMetricsLayout.Buckets];
}

/// <summary>Key of the syscall_errors map.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tl_errno_key
{
    public ulong cgroup_id;
    public uint nr;
    public uint err;
}

/// <summary>Indexes of the metrics_drops per-CPU counters (enum tl_metrics_drop).</summary>
internal enum MetricsDrop : uint
{
    /// <summary>Calls counted under the other series: the container was at its syscall cap.</summary>
    Folded = 0,

    /// <summary>Calls or errors not counted: a map had no room.</summary>
    MapFull = 1,

    Count = 2,
}
