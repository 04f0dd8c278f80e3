using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.FunctionalTests.Containers;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Metrics;

namespace Traceloop.FunctionalTests.Metrics;

/// <summary>
/// The kernel's pools of metrics rows and series, on real maps: a fresh load queues every index but
/// 0, a scrape reads a container's series through its row (and metrics_wide), and forgetting the
/// container zeroes its series on every CPU and gives them and its row back, leaving the others'.
/// The programs are loaded and attached, but this process is in no container, so they never count
/// into these maps: what is there is what the test wrote. Alone, as its programs would adopt the
/// containers other tests make meanwhile, and give them rows from these pools.
/// </summary>
[Collection(SeriesRecyclingTests.Alone)]
public sealed class SeriesPoolTests
{
    private const int Series = 16;
    private const uint Getppid = 110, Unknown = 700;

    [Fact]
    public unsafe void AForgottenContainersSeries_ComeBackZeroedOnEveryCpu_WithItsRow_AndOthersStay()
    {
        RootRequirement.Ensure();
        using KernelProbes probes = KernelProbes.Open(
            new KernelProbesConfig(RingSize: 1 << 16, MaxSlots: 2, MaxCgroups: 16, MaxString: 256, Captures: new Dictionary<int, tl_syscall_captures>(),
                Metrics: true, MetricsSeries: Series),
            pinDirectory: null, reset: false, archive: null, NullLogger.Instance);
        using var metrics = new LibbpfKernelMetrics(probes);
        int cpus = Interop.Libbpf.libbpf_num_possible_cpus();

        Assert.Equal(Enumerable.Range(1, Series).Select(i => (uint)i), Drain(probes.FreeSeries));
        Assert.Equal(Enumerable.Range(1, probes.Config.MetricsRows - 1).Select(i => (uint)i), Drain(probes.FreeMetricsRows));
        // Two containers as the programs would leave them: a row each from the pool, a series per syscall.
        const ulong gone = 0x1000_0001, kept = 0x1000_0002;
        (uint goneRow, uint[] goneSeries) = Container(gone, [Getppid, SyscallMetricsLayout.Other, Unknown]);
        (uint keptRow, uint[] keptSeries) = Container(kept, [Getppid]);
        probes.SyscallErrors.UpdateRaw(new tl_errno_key { cgroup_id = gone, nr = Getppid, err = 2 }, PerCpu(cpus, 1UL));

        SyscallCounts counts = metrics.ReadSyscalls();
        Assert.Equal(
            [(gone, Getppid, Sum(goneSeries[0])), (gone, SyscallMetricsLayout.Other, Sum(goneSeries[1])), (gone, Unknown, Sum(goneSeries[2])), (kept, Getppid, Sum(keptSeries[0]))],
            counts.Series.Select(s => (s.CgroupId, s.Nr, s.Calls)).OrderBy(s => s.CgroupId).ThenBy(s => s.Nr == Unknown).ThenBy(s => s.Nr));
        Assert.All(counts.Series, s => Assert.Equal(s.Calls, s.Buckets[3])); // each call was put in bucket 3 below
        Assert.Equal((ulong)cpus, Assert.Single(counts.Errors).Count);
        Assert.Equal(Series, counts.SeriesLimit);

        Assert.Equal(1, metrics.Forget(id => id == kept));

        Assert.False(probes.MetricsRowIds.TryLookup(gone, out uint _));
        Assert.True(probes.MetricsRows.TryLookup(goneRow, out tl_metrics_row row));
        Assert.Equal(0u, row.count);
        for (int place = 0; place < SyscallMetricsLayout.RowLength; place++)
        {
            Assert.Equal(0u, row.series[place]);
        }
        Assert.Empty(probes.MetricsWide.Keys<tl_metrics_wide_key>());
        foreach (uint s in goneSeries)
        {
            Assert.All(Read(s), cpu => Assert.Equal(0UL, cpu.calls + cpu.errors + cpu.ns + cpu.buckets[3]));
        }
        Assert.Empty(probes.SyscallErrors.Keys<tl_errno_key>());
        // Back in their pools, behind the ones never taken.
        Assert.Equal([.. Enumerable.Range(5, Series - 4).Select(i => (uint)i), .. goneSeries], Drain(probes.FreeSeries));
        Assert.Equal([.. Enumerable.Range(3, probes.Config.MetricsRows - 3).Select(i => (uint)i), goneRow], Drain(probes.FreeMetricsRows));
        // The kept container's row and series are as they were.
        Assert.True(probes.MetricsRowIds.TryLookup(kept, out uint stillRow));
        Assert.Equal(keptRow, stillRow);
        SyscallSeries left = Assert.Single(metrics.ReadSyscalls().Series);
        Assert.Equal((kept, Getppid, Sum(keptSeries[0])), (left.CgroupId, left.Nr, left.Calls));

        (uint, uint[]) Container(ulong cgroup, uint[] syscalls)
        {
            Assert.True(probes.FreeMetricsRows.TryPop(out uint r));
            probes.MetricsRowIds.Update(cgroup, r);
            var places = new tl_metrics_row { count = (uint)syscalls.Length };
            var taken = new uint[syscalls.Length];
            for (int i = 0; i < syscalls.Length; i++)
            {
                Assert.True(probes.FreeSeries.TryPop(out taken[i]));
                uint nr = syscalls[i];
                if (nr == Unknown)
                {
                    probes.MetricsWide.Update(new tl_metrics_wide_key { row = r, nr = nr }, taken[i]);
                }
                else
                {
                    places.series[nr == SyscallMetricsLayout.Other ? SyscallMetricsLayout.RowOther : (int)nr] = taken[i];
                }
                // A different count on each CPU, so a sum over fewer CPUs, or a CPU left unzeroed, shows.
                var stats = new tl_syscall_stats[cpus];
                for (int cpu = 0; cpu < cpus; cpu++)
                {
                    ulong calls = (ulong)(10 * taken[i] + cpu + 1);
                    stats[cpu].calls = calls;
                    stats[cpu].ns = calls * 5000;
                    stats[cpu].buckets[3] = calls;
                }
                probes.SyscallStats.UpdateRaw(taken[i], MemoryMarshal.AsBytes(stats.AsSpan()));
            }
            probes.MetricsRows.Update(r, places);
            return (r, taken);
        }

        tl_syscall_stats[] Read(uint series)
        {
            var stats = new tl_syscall_stats[cpus];
            Assert.True(probes.SyscallStats.TryLookupRaw(series, MemoryMarshal.AsBytes(stats.AsSpan())));
            return stats;
        }

        ulong Sum(uint series) => Read(series).Aggregate(0UL, (total, cpu) => total + cpu.calls);
    }

    private static List<uint> Drain(BpfMap queue)
    {
        var items = new List<uint>();
        while (queue.TryPop(out uint item))
        {
            items.Add(item);
        }
        foreach (uint item in items)
        {
            queue.Push(item);
        }
        return items;
    }

    private static byte[] PerCpu(int cpus, ulong value)
    {
        var values = new ulong[cpus];
        Array.Fill(values, value);
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }
}
