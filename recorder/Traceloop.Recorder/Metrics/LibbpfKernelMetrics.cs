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
    private readonly Lock _gate = new();
    private List<(string Name, SafeFileHandle Fd)>? _programs;

    public LibbpfKernelMetrics(KernelProbes probes)
    {
        _probes = probes;
        int cpus = Interop.Libbpf.libbpf_num_possible_cpus();
        _cpus = cpus > 0 ? cpus : throw new BpfException("libbpf could not tell how many CPUs this host may have", -cpus);
    }

    public bool Enabled => _probes.Config.Metrics;

    public long ControlDrops => _probes.ControlDrops.TryLookup(0u, out ulong drops) ? (long)drops : 0;

    public unsafe SyscallCounts ReadSyscalls()
    {
        if (!Enabled)
        {
            return SyscallCounts.Empty;
        }
        var stats = new tl_syscall_stats[_cpus];
        var series = new List<SyscallSeries>();
        foreach (tl_syscall_key key in _probes.SyscallStats.Keys<tl_syscall_key>())
        {
            // A series deleted between the walk and the lookup is simply not there this time.
            if (!_probes.SyscallStats.TryLookupRaw(key, MemoryMarshal.AsBytes(stats.AsSpan())))
            {
                continue;
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
            series.Add(new SyscallSeries(key.cgroup_id, key.nr, calls, errors, ns, buckets));
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
        return new SyscallCounts(series, errnos, Drops(MetricsDrop.Folded, counts), Drops(MetricsDrop.MapFull, counts));
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

    public int Forget(Func<ulong, bool> keep)
    {
        var gone = new HashSet<ulong>();
        foreach (tl_syscall_key key in _probes.SyscallStats.Keys<tl_syscall_key>())
        {
            if (!keep(key.cgroup_id))
            {
                gone.Add(key.cgroup_id);
                _probes.SyscallStats.Delete(key);
            }
        }
        foreach (tl_errno_key key in _probes.SyscallErrors.Keys<tl_errno_key>())
        {
            if (!keep(key.cgroup_id))
            {
                gone.Add(key.cgroup_id);
                _probes.SyscallErrors.Delete(key);
            }
        }
        foreach (ulong cgroup in _probes.SyscallSeries.Keys<ulong>())
        {
            if (!keep(cgroup))
            {
                gone.Add(cgroup);
                _probes.SyscallSeries.Delete(cgroup);
            }
        }
        return gone.Count;
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
