using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Metrics;

/// <summary>
/// Reads the syscall metrics maps of the loaded (or taken-over) programs. Their values are per
/// CPU: one lookup returns a value for each possible CPU, which are summed here, so the kernel
/// side adds without atomics.
/// </summary>
internal sealed class LibbpfKernelMetrics : IKernelMetrics, IDisposable
{
    private const string BpfStatsSysctl = "/proc/sys/kernel/bpf_stats_enabled";

    private readonly KernelProbes _probes;
    private readonly int _cpus;
    private readonly byte[] _zeroStats;
    private readonly Lock _gate = new();
    // A scrape and a prune never interleave, so a series read through a row is that row's: the kernel
    // takes only series from the pool, and only Forget puts them there.
    private readonly Lock _seriesGate = new();
    private List<(string Name, SafeFileHandle Fd)>? _programs;

    public LibbpfKernelMetrics(KernelProbes probes)
    {
        _probes = probes;
        int cpus = Interop.Libbpf.libbpf_num_possible_cpus();
        _cpus = cpus > 0 ? cpus : throw new BpfException("libbpf could not tell how many CPUs this host may have", -cpus);
        _zeroStats = new byte[_cpus * Unsafe.SizeOf<tl_syscall_stats>()];
    }

    public bool Enabled => _probes.Config.Metrics;

    public long ControlDrops => _probes.ControlDrops.TryLookup(0u, out ulong drops) ? (long)drops : 0;

    public unsafe SyscallCounts ReadSyscalls()
    {
        if (!Enabled)
        {
            return SyscallCounts.Empty;
        }
        lock (_seriesGate)
        {
            return ReadSyscallsLocked();
        }
    }

    private unsafe SyscallCounts ReadSyscallsLocked()
    {
        var stats = new tl_syscall_stats[_cpus];
        var series = new List<SyscallSeries>();
        void Add(ulong cgroup, uint nr, uint index)
        {
            // A series a CPU has just taken, before its first call is added, is left out until it has one.
            if (!_probes.SyscallStats.TryLookupRaw(index, MemoryMarshal.AsBytes(stats.AsSpan())))
            {
                return;
            }
            ulong calls = 0, errors = 0, ns = 0;
            var buckets = new ulong[SyscallMetricsLayout.Buckets];
            for (int cpu = 0; cpu < _cpus; cpu++)
            {
                calls += stats[cpu].calls;
                errors += stats[cpu].errors;
                ns += stats[cpu].ns;
                for (int b = 0; b < SyscallMetricsLayout.Buckets; b++)
                {
                    buckets[b] += stats[cpu].buckets[b];
                }
            }
            if (calls > 0)
            {
                series.Add(new SyscallSeries(cgroup, nr, calls, errors, ns, buckets));
            }
        }
        Dictionary<uint, ulong> owners = RowOwners();
        foreach ((uint row, ulong cgroup) in owners)
        {
            if (_probes.MetricsRows.TryLookup(row, out tl_metrics_row places))
            {
                for (int place = 0; place < SyscallMetricsLayout.RowLength; place++)
                {
                    if (places.series[place] != 0)
                    {
                        Add(cgroup, SyscallMetricsLayout.NumberAt(place), places.series[place]);
                    }
                }
            }
        }
        foreach (tl_metrics_wide_key key in _probes.MetricsWide.Keys<tl_metrics_wide_key>())
        {
            if (owners.TryGetValue(key.row, out ulong cgroup) && _probes.MetricsWide.TryLookup(key, out uint index))
            {
                Add(cgroup, key.nr, index);
            }
        }
        var counts = new ulong[_cpus];
        var errnos = new List<ErrnoSeries>();
        foreach (tl_errno_key key in _probes.SyscallErrors.Keys<tl_errno_key>())
        {
            if (_probes.SyscallErrors.TryLookupRaw(key, MemoryMarshal.AsBytes(counts.AsSpan())))
            {
                ulong total = 0;
                foreach (ulong n in counts)
                {
                    total += n;
                }
                errnos.Add(new ErrnoSeries(key.cgroup_id, key.nr, key.err, total));
            }
        }
        return new SyscallCounts(series, errnos, Drops(MetricsDrop.Folded, counts), Drops(MetricsDrop.MapFull, counts), _probes.Config.MetricsSeries);
    }

    /// <summary>Row index → the container (its own cgroup id) that has it.</summary>
    private Dictionary<uint, ulong> RowOwners()
    {
        var owners = new Dictionary<uint, ulong>();
        foreach (ulong cgroup in _probes.MetricsRowIds.Keys<ulong>())
        {
            if (_probes.MetricsRowIds.TryLookup(cgroup, out uint row) && row != 0)
            {
                owners[row] = cgroup;
            }
        }
        return owners;
    }

    private ulong Drops(MetricsDrop which, ulong[] perCpu)
    {
        if (!_probes.MetricsDrops.TryLookupRaw((uint)which, MemoryMarshal.AsBytes(perCpu.AsSpan())))
        {
            return 0;
        }
        ulong total = 0;
        foreach (ulong n in perCpu)
        {
            total += n;
        }
        return total;
    }

    /// <summary>
    /// Gives the rows and series of every container <paramref name="keep"/> says no to back to their
    /// pools, zeroed, and deletes its errno counts. Only containers gone from the containers map are
    /// let go, so no syscall program can still reach their row: each CPU's view of an entry ends with
    /// the entry (the generation bump of <c>LibbpfKernel</c>).
    /// </summary>
    public int Forget(Func<ulong, bool> keep)
    {
        lock (_seriesGate)
        {
            return ForgetLocked(keep);
        }
    }

    private unsafe int ForgetLocked(Func<ulong, bool> keep)
    {
        var gone = new HashSet<ulong>();
        var freed = new HashSet<uint>();
        foreach ((uint row, ulong cgroup) in RowOwners())
        {
            if (keep(cgroup))
            {
                continue;
            }
            gone.Add(cgroup);
            freed.Add(row);
            _probes.MetricsRowIds.Delete(cgroup);
            if (_probes.MetricsRows.TryLookup(row, out tl_metrics_row places))
            {
                for (int place = 0; place < SyscallMetricsLayout.RowLength; place++)
                {
                    FreeSeries(places.series[place]);
                }
            }
        }
        foreach (tl_metrics_wide_key key in _probes.MetricsWide.Keys<tl_metrics_wide_key>())
        {
            if (freed.Contains(key.row) && _probes.MetricsWide.TryLookup(key, out uint index))
            {
                _probes.MetricsWide.Delete(key);
                FreeSeries(index);
            }
        }
        // Last, once nothing refers to them: a row taken again must start empty.
        foreach (uint row in freed)
        {
            _probes.MetricsRows.Update(row, default(tl_metrics_row));
            _probes.FreeMetricsRows.Push(row);
        }
        foreach (tl_errno_key key in _probes.SyscallErrors.Keys<tl_errno_key>())
        {
            if (!keep(key.cgroup_id))
            {
                gone.Add(key.cgroup_id);
                _probes.SyscallErrors.Delete(key);
            }
        }
        return gone.Count;
    }

    /// <summary>Zeroes a series on every CPU, then queues it for the next container's first call of a syscall.</summary>
    private void FreeSeries(uint index)
    {
        if (index == 0)
        {
            return;
        }
        _probes.SyscallStats.UpdateRaw(index, _zeroStats);
        _probes.FreeSeries.Push(index);
    }

    public unsafe IReadOnlyList<ProgramRunStats> ReadPrograms()
    {
        List<(string Name, SafeFileHandle Fd)> programs = Programs();
        var result = new List<ProgramRunStats>(programs.Count);
        foreach ((string name, SafeFileHandle fd) in programs)
        {
            Interop.Libbpf.bpf_prog_info info = default;
            uint length = (uint)sizeof(Interop.Libbpf.bpf_prog_info);
            if (Interop.Libbpf.bpf_obj_get_info_by_fd(fd, &info, &length) == 0)
            {
                result.Add(new ProgramRunStats(name, info.run_cnt, info.run_time_ns));
            }
        }
        return result;
    }

    /// <summary>Whether the kernel keeps the programs' run statistics now (it costs two clock reads per run, so it is off by default).</summary>
    public static bool BpfStatsEnabled()
    {
        try
        {
            return File.ReadAllText(BpfStatsSysctl).Trim() == "1";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private List<(string Name, SafeFileHandle Fd)> Programs()
    {
        lock (_gate)
        {
            if (_programs is null)
            {
                _programs = [];
                foreach ((string name, uint id) in _probes.ProgramIds())
                {
                    int fd = Interop.Libbpf.bpf_prog_get_fd_by_id(id);
                    if (fd >= 0)
                    {
                        _programs.Add((name, new SafeFileHandle(fd, ownsHandle: true)));
                    }
                }
            }
            return _programs;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach ((_, SafeFileHandle fd) in _programs ?? [])
            {
                fd.Dispose();
            }
            _programs = null;
        }
    }
}
