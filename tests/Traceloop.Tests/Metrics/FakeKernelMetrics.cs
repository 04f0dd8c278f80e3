using Traceloop.Recorder.Metrics;

namespace Traceloop.Tests.Metrics;

/// <summary>The kernel's metrics maps as a test sets them.</summary>
internal sealed class FakeKernelMetrics : IKernelMetrics
{
    private readonly Lock _gate = new();

    public bool Enabled { get; set; } = true;

    public List<SyscallSeries> Series { get; } = [];

    public List<ErrnoSeries> Errors { get; } = [];

    public ulong Folded { get; set; }

    public int SeriesLimit { get; set; } = 8192;

    public List<ProgramRunStats> Programs { get; } = [];

    public long ControlDrops { get; set; }

    public SyscallCounts ReadSyscalls()
    {
        lock (_gate)
        {
            return new SyscallCounts([.. Series], [.. Errors], Folded, 0, SeriesLimit);
        }
    }

    public int Forget(Func<ulong, bool> keep)
    {
        lock (_gate)
        {
            var gone = Series.Select(s => s.CgroupId).Concat(Errors.Select(e => e.CgroupId)).Where(id => !keep(id)).ToHashSet();
            Series.RemoveAll(s => gone.Contains(s.CgroupId));
            Errors.RemoveAll(e => gone.Contains(e.CgroupId));
            return gone.Count;
        }
    }

    public IReadOnlyList<ProgramRunStats> ReadPrograms() => [.. Programs];

    public void Set(SyscallSeries series)
    {
        lock (_gate)
        {
            Series.RemoveAll(s => s.CgroupId == series.CgroupId && s.Nr == series.Nr);
            Series.Add(series);
        }
    }
}
