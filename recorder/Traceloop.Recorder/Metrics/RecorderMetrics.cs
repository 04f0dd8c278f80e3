using Prometheus;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Records;
using Traceloop.Recorder.Store;
using Traceloop.Recorder.Tls;

namespace Traceloop.Recorder.Metrics;

/// <summary>
/// Everything /metrics shows (docs/METRICS.md), in the Prometheus text exposition format.
/// <para>
/// The format comes from prometheus-net rather than the OpenTelemetry exporter: the kernel keeps
/// counts per latency bucket, not single observations, and prometheus-net's histogram takes an
/// observation with a count (<c>Observe(value, count)</c>), so the kernel's buckets go in as they
/// are; OpenTelemetry's histogram takes one value per call and has no observable form. It is a
/// stable release (the OpenTelemetry Prometheus exporter is a beta) and, used through a custom
/// registry, starts no collectors of its own (no EventListener, no Meter listener), which keeps
/// the Native AOT build warning-free.
/// </para>
/// Values are read when a scrape comes (the registry's before-collect callback): the kernel maps,
/// the rings' headers and the recorder's own counters. Series of containers the registry no
/// longer holds (ended, and past the grace period) are removed then.
/// </summary>
internal sealed class RecorderMetrics
{
    private static readonly string[] ContainerLabels = ["namespace", "pod", "container"];

    private readonly IKernelMetrics _kernel;
    private readonly ContainerRegistry _registry;
    private readonly ContainerNames _names;
    private readonly CrashCounts _crashes;
    private readonly DumpStore _store;
    private readonly PodWatcher _watcher;
    private readonly TlsProbeService _tls;
    private readonly Lock _gate = new();

    private readonly Counter _syscalls;
    private readonly Counter _syscallErrors;
    private readonly Histogram _syscallDuration;
    private readonly Counter _metricsDropped;
    private readonly Gauge _series;
    private readonly Gauge _seriesLimit;
    private readonly Gauge _containers;
    private readonly Counter _events;
    private readonly Counter _eventsLost;
    private readonly Gauge _ringFill;
    private readonly Counter _controlDrops;
    private readonly Counter _crashNotices;
    private readonly Counter _dumps;
    private readonly Counter _dumpBytes;
    private readonly Gauge _watchState;
    private readonly Counter _watchLists;
    private readonly Counter _watchEvents;
    private readonly Counter _watchGone;
    private readonly Counter _watchReconnects;
    private readonly Gauge _bpfStatsEnabled;
    private readonly Counter _programRuns;
    private readonly Counter _programSeconds;
    private readonly Gauge _tlsFiles;
    private readonly Gauge _tlsUprobes;
    private readonly Counter _tlsSkipped;
    private readonly Counter _tlsAttachFailures;
    private readonly Counter _tlsExecDrops;

    /// <summary>What each exported container was last shown as: its labels, and per syscall what the histogram has been given.</summary>
    private readonly Dictionary<ulong, ExportedContainer> _exported = [];

    public RecorderMetrics(IKernelMetrics kernel, ContainerRegistry registry, ContainerNames names, CrashCounts crashes, DumpStore store, PodWatcher watcher,
        TlsProbeService tls)
    {
        _kernel = kernel;
        _registry = registry;
        _names = names;
        _crashes = crashes;
        _store = store;
        _watcher = watcher;
        _tls = tls;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        IMetricFactory f = Prometheus.Metrics.WithCustomRegistry(Registry);

        string[] syscall = [.. ContainerLabels, "syscall"];
        _syscalls = f.CreateCounter("traceloop_syscalls_total", "Syscalls a recorded container made (counted at their return).", syscall);
        _syscallErrors = f.CreateCounter("traceloop_syscall_errors_total", "Syscalls that returned an error, by errno.", [.. syscall, "errno"]);
        _syscallDuration = f.CreateHistogram("traceloop_syscall_duration_seconds", "Time from a syscall's entry to its return (log2 buckets from the kernel).",
            new HistogramConfiguration { LabelNames = syscall, Buckets = LatencyBuckets.Bounds });
        _metricsDropped = f.CreateCounter("traceloop_syscall_metrics_dropped_total",
            "Calls counted under syscall=\"other\" (reason folded: the container was at its syscall cap) or not counted (map_full).", ["reason"]);
        _series = f.CreateGauge("traceloop_syscall_series", "Syscall series the kernel holds now, over all containers (ended ones until they are forgotten).");
        _seriesLimit = f.CreateGauge("traceloop_syscall_series_limit", "The kernel's budget of syscall series (--metrics-series); past it, calls are counted as map_full.");

        _containers = f.CreateGauge("traceloop_containers", "Containers the recorder holds: recorded (with a ring), pending (waiting for one), ended (in their grace period).", ["state"]);
        _events = f.CreateCounter("traceloop_container_events_total", "Events written to a container's ring.", ContainerLabels);
        _eventsLost = f.CreateCounter("traceloop_container_events_lost_total", "Events a container made while it had no ring.", ContainerLabels);
        _ringFill = f.CreateGauge("traceloop_container_ring_fill_ratio", "Share of a container's ring in use (1: it wraps, the oldest events are overwritten).", ContainerLabels);
        _controlDrops = f.CreateCounter("traceloop_control_ring_drops_total", "Kernel notices (container starts, ends, crash triggers) the control ring had no room for.");
        _tlsFiles = f.CreateGauge("traceloop_tls_files_probed", "Library and program files with TLS uprobes now.");
        _tlsUprobes = f.CreateGauge("traceloop_tls_uprobes", "TLS uprobes in place now, over all probed files.");
        _tlsSkipped = f.CreateCounter("traceloop_tls_binaries_skipped_total", "Go binaries whose crypto/tls could not be located with trust, left unprobed.");
        _tlsAttachFailures = f.CreateCounter("traceloop_tls_attach_failures_total", "Files whose TLS uprobes the kernel refused.");
        _tlsExecDrops = f.CreateCounter("traceloop_tls_exec_notices_dropped_total", "Exec notices lost (the kernel's ring was full, or the recorder fell behind).");
        _crashNotices = f.CreateCounter("traceloop_crash_notices_total", "What became of the crash notices: triggered, and each one's outcome.", ["outcome"]);
        _dumps = f.CreateCounter("traceloop_dumps_total", "Dumps written to the store, by trigger and result (saved, refused, failed).", ["trigger", "result"]);
        _dumpBytes = f.CreateCounter("traceloop_dump_bytes_total", "Bytes of saved dumps on disk, by trigger.", ["trigger"]);
        _watchState = f.CreateGauge("traceloop_kubernetes_watch_state", "1 for the pod watcher's current state.", ["state"]);
        _watchLists = f.CreateCounter("traceloop_kubernetes_watch_lists_total", "Pod lists: the first, and one after each 410 Gone.");
        _watchEvents = f.CreateCounter("traceloop_kubernetes_watch_events_total", "Pod watch events applied (bookmark: resource version only).", ["type"]);
        _watchGone = f.CreateCounter("traceloop_kubernetes_watch_gone_total", "410 Gone answers from the API server.");
        _watchReconnects = f.CreateCounter("traceloop_kubernetes_watch_reconnects_total", "Pod list or watch requests retried after a failure.");
        _bpfStatsEnabled = f.CreateGauge("traceloop_bpf_stats_enabled", "1 when sysctl kernel.bpf_stats_enabled is on and the program run counters below advance.");
        _programRuns = f.CreateCounter("traceloop_bpf_program_runs_total", "Runs of each attached BPF program (only while kernel.bpf_stats_enabled is 1).", ["program"]);
        _programSeconds = f.CreateCounter("traceloop_bpf_program_run_seconds_total", "Time spent in each attached BPF program (only while kernel.bpf_stats_enabled is 1).", ["program"]);

        ApiRequests = f.CreateHistogram("traceloop_api_request_duration_seconds", "API requests by route, method and status, with their durations.",
            new HistogramConfiguration
            {
                LabelNames = ["route", "method", "status"],
                Buckets = Histogram.ExponentialBuckets(0.0005, 4, 10),
            });

        Registry.AddBeforeCollectCallback(Update);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Observed by <see cref="ApiRequestMetrics"/> for every request.</summary>
    public Histogram ApiRequests { get; }

    /// <summary>Writes the exposition (it reads the kernel first).</summary>
    public Task WriteAsync(Stream output, CancellationToken ct) => Registry.CollectAndExportAsTextAsync(output, ct);

    private void Update()
    {
        lock (_gate)
        {
            List<RecordedContainer> containers = _registry.List();
            var byCgroup = containers.ToDictionary(c => c.CgroupId);
            UpdateContainers(containers, byCgroup);
            UpdateSyscalls(byCgroup);
            UpdateRecorder();
        }
    }

    private string[] LabelsOf(RecordedContainer c)
    {
        KubernetesIdentity? k = _names.Of(c);
        return k is null ? ["", "", c.Id] : [k.Pod.Namespace, k.Pod.Name, k.Container?.Name ?? c.Id];
    }

    private void UpdateContainers(List<RecordedContainer> containers, Dictionary<ulong, RecordedContainer> byCgroup)
    {
        int recorded = 0, pending = 0, ended = 0;
        foreach (RecordedContainer c in containers)
        {
            if (c.ExitedAt is not null)
            {
                ended++;
            }
            else if (c.Ring is null)
            {
                pending++;
            }
            else
            {
                recorded++;
            }
            ExportedContainer exported = Exported(c);
            string[] labels = exported.Labels;
            _eventsLost.WithLabels(labels).IncTo(_registry.KernelState(c).missed);
            try
            {
                if (c.Ring is { } ring)
                {
                    RingCounters counters = ring.ReadCounters();
                    _events.WithLabels(labels).IncTo(counters.Records);
                    _ringFill.WithLabels(labels).Set(counters.Fill);
                }
            }
            catch (Exception e) when (e is CorruptRingException or ObjectDisposedException)
            {
                // A ring released or replaced while it was read: its numbers come next scrape.
            }
        }
        _containers.WithLabels("recorded").Set(recorded);
        _containers.WithLabels("pending").Set(pending);
        _containers.WithLabels("ended").Set(ended);

        foreach (ulong gone in _exported.Keys.Where(id => !byCgroup.ContainsKey(id)).ToList())
        {
            Remove(_exported[gone]);
            _exported.Remove(gone);
        }
    }

    /// <summary>The container's export state; when its names changed (its pod became known), its old series go.</summary>
    private ExportedContainer Exported(RecordedContainer c)
    {
        string[] labels = LabelsOf(c);
        if (_exported.TryGetValue(c.CgroupId, out ExportedContainer? known))
        {
            if (known.Labels.AsSpan().SequenceEqual(labels))
            {
                return known;
            }
            Remove(known);
        }
        var fresh = new ExportedContainer(labels);
        _exported[c.CgroupId] = fresh;
        return fresh;
    }

    private void Remove(ExportedContainer c)
    {
        _events.RemoveLabelled(c.Labels);
        _eventsLost.RemoveLabelled(c.Labels);
        _ringFill.RemoveLabelled(c.Labels);
        foreach (string syscall in c.Syscalls.Keys)
        {
            string[] labels = [.. c.Labels, syscall];
            _syscalls.RemoveLabelled(labels);
            _syscallDuration.RemoveLabelled(labels);
        }
        foreach ((string syscall, string errno) in c.Errnos)
        {
            _syscallErrors.RemoveLabelled([.. c.Labels, syscall, errno]);
        }
    }

    private static string SyscallName(uint nr) => nr == Bpf.SyscallMetricsLayout.Other ? "other" : SyscallTable.Name((int)nr);

    private static string ErrnoName(uint errno) => ErrnoTable.Name((int)errno) ?? "E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void UpdateSyscalls(Dictionary<ulong, RecordedContainer> byCgroup)
    {
        SyscallCounts counts = _kernel.ReadSyscalls();
        Span<ulong> delta = stackalloc ulong[Bpf.SyscallMetricsLayout.Buckets];
        foreach (SyscallSeries s in counts.Series)
        {
            // A container the registry does not hold yet (its notice is on the way) shows next scrape.
            if (!byCgroup.ContainsKey(s.CgroupId) || !_exported.TryGetValue(s.CgroupId, out ExportedContainer? c))
            {
                continue;
            }
            string syscall = SyscallName(s.Nr);
            string[] labels = [.. c.Labels, syscall];
            _syscalls.WithLabels(labels).IncTo(s.Calls);
            if (!c.Syscalls.TryGetValue(syscall, out SyscallState? state))
            {
                state = new SyscallState();
                c.Syscalls[syscall] = state;
            }
            bool any = false;
            for (int b = 0; b < delta.Length; b++)
            {
                // Counters only grow; a lower value is a state the kernel started afresh: replayed from zero.
                delta[b] = s.Buckets[b] >= state.Buckets[b] ? s.Buckets[b] - state.Buckets[b] : s.Buckets[b];
                any |= delta[b] != 0;
            }
            if (any)
            {
                ulong ns = s.Nanoseconds >= state.Nanoseconds ? s.Nanoseconds - state.Nanoseconds : s.Nanoseconds;
                Histogram.Child child = _syscallDuration.WithLabels(labels);
                foreach ((double value, long count) in LatencyBuckets.Replay(delta, ns / 1e9))
                {
                    child.Observe(value, count);
                }
                s.Buckets.CopyTo(state.Buckets, 0);
                state.Nanoseconds = s.Nanoseconds;
            }
        }
        foreach (ErrnoSeries e in counts.Errors)
        {
            if (!byCgroup.ContainsKey(e.CgroupId) || !_exported.TryGetValue(e.CgroupId, out ExportedContainer? c))
            {
                continue;
            }
            (string syscall, string errno) key = (SyscallName(e.Nr), ErrnoName(e.Errno));
            c.Errnos.Add(key);
            _syscallErrors.WithLabels([.. c.Labels, key.syscall, key.errno]).IncTo(e.Count);
        }
        _metricsDropped.WithLabels("folded").IncTo(counts.Folded);
        _metricsDropped.WithLabels("map_full").IncTo(counts.MapFull);
        _series.Set(counts.Series.Count);
        _seriesLimit.Set(counts.SeriesLimit);
    }

    private void UpdateRecorder()
    {
        _controlDrops.IncTo(_kernel.ControlDrops);
        if (_tls.Status() is { } tls)
        {
            _tlsFiles.Set(tls.FilesProbed);
            _tlsUprobes.Set(tls.Uprobes);
            _tlsSkipped.IncTo(tls.BinariesSkipped);
            _tlsAttachFailures.IncTo(tls.AttachFailures);
            _tlsExecDrops.IncTo(tls.ExecNoticesDropped);
        }
        Api.CrashDumpCounts crashes = _crashes.Read();
        _crashNotices.WithLabels("triggered").IncTo(crashes.Triggered);
        _crashNotices.WithLabels("saved").IncTo(crashes.Saved);
        _crashNotices.WithLabels("nothing_recorded").IncTo(crashes.NothingRecorded);
        _crashNotices.WithLabels("below_floor").IncTo(crashes.BelowFloor);
        _crashNotices.WithLabels("failed").IncTo(crashes.Failed);
        _crashNotices.WithLabels("dropped").IncTo(crashes.NoticesDropped);
        foreach (KeyValuePair<(string Trigger, string Result), long> d in _store.Counts.Dumps)
        {
            _dumps.WithLabels(d.Key.Trigger, d.Key.Result).IncTo(d.Value);
        }
        foreach (KeyValuePair<string, long> b in _store.Counts.Bytes)
        {
            _dumpBytes.WithLabels(b.Key).IncTo(b.Value);
        }

        PodWatcherState now = _watcher.State;
        foreach (PodWatcherState state in Enum.GetValues<PodWatcherState>())
        {
            _watchState.WithLabels(state.ToString().ToLowerInvariant()).Set(state == now ? 1 : 0);
        }
        PodWatcherMetrics w = _watcher.Metrics;
        _watchLists.IncTo(w.Lists);
        _watchEvents.WithLabels("change").IncTo(w.Events);
        _watchEvents.WithLabels("bookmark").IncTo(w.Bookmarks);
        _watchGone.IncTo(w.Gone);
        _watchReconnects.IncTo(w.Reconnects);

        bool stats = LibbpfKernelMetrics.BpfStatsEnabled();
        _bpfStatsEnabled.Set(stats ? 1 : 0);
        foreach (ProgramRunStats p in _kernel.ReadPrograms())
        {
            _programRuns.WithLabels(p.Name).IncTo(p.Runs);
            _programSeconds.WithLabels(p.Name).IncTo(p.Nanoseconds / 1e9);
        }
    }

    private sealed class ExportedContainer(string[] labels)
    {
        public string[] Labels { get; } = labels;

        public Dictionary<string, SyscallState> Syscalls { get; } = new(StringComparer.Ordinal);

        public HashSet<(string Syscall, string Errno)> Errnos { get; } = [];
    }

    private sealed class SyscallState
    {
        public ulong[] Buckets { get; } = new ulong[Bpf.SyscallMetricsLayout.Buckets];

        public ulong Nanoseconds { get; set; }
    }
}
