namespace Traceloop.Recorder.Metrics;

/// <summary>
/// The kernel's counters behind one seam: the syscall metrics maps and the programs' run
/// statistics. The exposition and the pruning take this, so they are unit-tested with a double;
/// <see cref="LibbpfKernelMetrics"/> is tested for real by the functional tests.
/// </summary>
internal interface IKernelMetrics
{
    /// <summary>False when the programs were loaded with metrics off: the maps stay empty.</summary>
    bool Enabled { get; }

    /// <summary>Every series, summed over the CPUs.</summary>
    SyscallCounts ReadSyscalls();

    /// <summary>Deletes the series of every container <paramref name="keep"/> says no to; returns how many containers.</summary>
    int Forget(Func<ulong, bool> keep);

    /// <summary>Each attached program's runs and time (both 0 unless kernel.bpf_stats_enabled is 1).</summary>
    IReadOnlyList<ProgramRunStats> ReadPrograms();

    /// <summary>Notices the control ring had no room for, since the programs were loaded.</summary>
    long ControlDrops { get; }
}

/// <param name="Folded">Calls counted under the other series because their container was at its syscall cap.</param>
/// <param name="MapFull">Calls or errors not counted at all: a map had no room.</param>
/// <param name="SeriesLimit">The node-wide series budget (--metrics-series); <paramref name="Series"/> is what is taken of it.</param>
internal sealed record SyscallCounts(IReadOnlyList<SyscallSeries> Series, IReadOnlyList<ErrnoSeries> Errors, ulong Folded, ulong MapFull, int SeriesLimit)
{
    public static readonly SyscallCounts Empty = new([], [], 0, 0, 0);
}

/// <param name="Nr">The syscall, or <see cref="Bpf.SyscallMetricsLayout.Other"/>.</param>
/// <param name="Buckets">Timed calls per latency bucket (see <see cref="LatencyBuckets"/>).</param>
internal sealed record SyscallSeries(ulong CgroupId, uint Nr, ulong Calls, ulong Errors, ulong Nanoseconds, ulong[] Buckets);

internal readonly record struct ErrnoSeries(ulong CgroupId, uint Nr, uint Errno, ulong Count);

internal readonly record struct ProgramRunStats(string Name, ulong Runs, ulong Nanoseconds);
