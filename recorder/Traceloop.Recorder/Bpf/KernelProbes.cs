using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Bpf;

/// <summary>Sizes fixed at load time, and what the kernel copies from user memory.</summary>
/// <param name="Captures">Syscall number → the items the kernel copies for it (the captures map), loaded before any program runs.</param>
/// <param name="CgroupSubsys">0 to key containers by cgroup v2 id; n to key them by their cgroup in the v1 hierarchy of subsystem n - 1.</param>
/// <param name="HierarchyId">The hierarchy whose cgroup creations the kernel watches (0 for v2).</param>
/// <param name="MaxBytes">Bytes kept of a data buffer (read, write, send, recv).</param>
/// <param name="MaxArgv">execve arguments kept.</param>
/// <param name="MaxTlsBytes">Bytes of plaintext kept per TLS record.</param>
/// <param name="Triggers">Which crash triggers are on; the others cost nothing (their programs are not loaded, their checks are compiled out).</param>
/// <param name="Metrics">Count syscalls, errors and latency per container (the syscall_* and metrics_* maps); off, the programs carry no trace of it.</param>
/// <param name="MetricsSeries">The node-wide pool of syscall series (one per container and syscall), preallocated per CPU; index 0 is kept apart as "none".</param>
/// <param name="Cpus">The CPU count the rings are split for; 0 for this machine's possible CPUs.</param>
internal readonly record struct KernelProbesConfig(int RingSize, int MaxSlots, int MaxCgroups, int MaxString,
    IReadOnlyDictionary<int, tl_syscall_captures> Captures,
    uint CgroupSubsys = 0, int HierarchyId = 0, int MaxBytes = 64, int MaxArgv = 16, KernelTriggers Triggers = default,
    bool Metrics = false, int Cpus = 0, int MaxTlsBytes = 64, int MetricsSeries = 0)
{
    /// <summary>How every container's ring is split into per-CPU sub-rings: the programs and the rings must agree.</summary>
    public RingGeometry Rings => RingGeometry.For(RingSize, Cpus > 0 ? Cpus : PossibleCpus.Count);

    /// <summary>
    /// Metrics rows, index 0 included (it means "none"): a container with a ring has one, and a row
    /// goes back to its pool only when the pruner forgets its container, some seconds after its slot
    /// was freed for another, so twice the slots.
    /// </summary>
    public int MetricsRows => 2 * MaxSlots + 1;
}

/// <summary>The kernel side of the crash triggers.</summary>
/// <param name="OomVictim">Load the mark_victim program (needs Linux 6.9+, where the tracepoint passes the task).</param>
/// <param name="FatalSignals">Report fatal signals as they are delivered.</param>
/// <param name="WatchedErrors">(syscall number, errno) pairs whose failure is reported, by tl_sys_exit; none compiles the check out of it.</param>
internal readonly record struct KernelTriggers(bool OomVictim, bool FatalSignals, IReadOnlyList<(int Nr, int Errno)>? WatchedErrors);

/// <summary>
/// The attached eBPF programs (bpf/traceloop.bpf.c) and their maps: either loaded by this
/// process, or taken over from the state a previous recorder pinned (<see cref="KernelPins"/>).
/// Disposing it closes this process's descriptors only: what is pinned stays attached and keeps
/// recording until a recorder takes it over or discards it. Unpinned, disposing detaches all.
/// </summary>
internal sealed partial class KernelProbes : IDisposable
{
    private const string ObjectResource = "traceloop.bpf.o";
    private const string BtfPath = "/sys/kernel/btf/vmlinux";

    /// <summary>The maps the recorder uses, pinned under these names.</summary>
    private static readonly string[] PinnedMaps =
        ["containers", "containers_gen", "rings", "free_slots", "control", "captures", "excluded_pods", "capture_levels", "watched_errors", "control_drops", "slot_owners", "meta",
         "syscall_stats", "free_series", "metrics_rows", "free_metrics_rows", "metrics_row_ids", "metrics_wide", "syscall_errors", "metrics_drops",
         "exec_notices", "exec_drops", "unrecorded_tasks"];

    private readonly SafeBpfObjectHandle? _object;
    private readonly List<SafeBpfLinkHandle> _links = [];
    private readonly RingMap? _template;
    private readonly List<BpfMap> _maps = [];
    private readonly Dictionary<string, SafeFileHandle> _tlsPrograms = [];

    private KernelProbes(SafeBpfObjectHandle? obj, RingMap? template, KernelProbesConfig config, Func<string, BpfMap> map)
    {
        _object = obj;
        _template = template;
        Config = config;
        BpfMap Add(string name)
        {
            BpfMap m = map(name);
            _maps.Add(m);
            return m;
        }
        Containers = Add("containers");
        ContainersGeneration = Add("containers_gen");
        Rings = Add("rings");
        FreeSlots = Add("free_slots");
        Control = Add("control");
        Captures = Add("captures");
        ExcludedPods = Add("excluded_pods");
        CaptureLevels = Add("capture_levels");
        WatchedErrors = Add("watched_errors");
        ControlDrops = Add("control_drops");
        SlotOwners = Add("slot_owners");
        Meta = Add("meta");
        SyscallStats = Add("syscall_stats");
        SyscallErrors = Add("syscall_errors");
        FreeSeries = Add("free_series");
        MetricsRows = Add("metrics_rows");
        FreeMetricsRows = Add("free_metrics_rows");
        MetricsRowIds = Add("metrics_row_ids");
        MetricsWide = Add("metrics_wide");
        MetricsDrops = Add("metrics_drops");
        ExecNotices = Add("exec_notices");
        ExecDrops = Add("exec_drops");
        UnrecordedTasks = Add("unrecorded_tasks");
    }

    public KernelProbesConfig Config { get; }

    /// <summary>Where the state is pinned; null when it ends with this process.</summary>
    public KernelPins? Pins { get; private set; }

    /// <summary>True when the programs, maps and rings were taken over from a previous recorder.</summary>
    public bool TakenOver { get; private init; }

    /// <summary>cgroup id → <see cref="tl_container"/>.</summary>
    public BpfMap Containers { get; }

    /// <summary>
    /// [0] kernel, [1] recorder: bumped after every write of <see cref="Containers"/>, so that the
    /// syscall programs' per-CPU views of it never outlive one (bpf/traceloop.bpf.c, container_view).
    /// </summary>
    public BpfMap ContainersGeneration { get; }

    /// <summary>
    /// Per CPU, the pt_regs address of the last task found not recorded, whose calls then leave at
    /// once; zeroed on every CPU after a write of <see cref="Containers"/> (bpf/traceloop.bpf.c, struct unrecorded_task).
    /// </summary>
    public BpfMap UnrecordedTasks { get; }

    /// <summary>slot → ring map fd (array of maps).</summary>
    public BpfMap Rings { get; }

    /// <summary>Queue of slots whose ring is ready for the kernel to hand out.</summary>
    public BpfMap FreeSlots { get; }

    /// <summary>The BPF ring buffer of <see cref="tl_control"/> notifications.</summary>
    public BpfMap Control { get; }

    /// <summary>Syscall number → <see cref="tl_syscall_captures"/>.</summary>
    public BpfMap Captures { get; }

    /// <summary>Pod cgroup directory names (<see cref="tl_pod_name"/>) whose containers the kernel must not adopt.</summary>
    public BpfMap ExcludedPods { get; }

    /// <summary>Pod cgroup directory names (<see cref="tl_pod_name"/>) → <see cref="CaptureLevel"/>; the all-zero name holds the default.</summary>
    public BpfMap CaptureLevels { get; }

    /// <summary><see cref="tl_watched_error"/> → 1: the syscall failures the syscall-error trigger reports.</summary>
    public BpfMap WatchedErrors { get; }

    /// <summary>One counter: notices the control ring had no room for.</summary>
    public BpfMap ControlDrops { get; }

    /// <summary>slot → <see cref="tl_slot_owner"/>: which container a ring belongs to, for a recorder that takes the state over.</summary>
    public BpfMap SlotOwners { get; }

    /// <summary>One <see cref="tl_meta"/>: what the pinned state is.</summary>
    public BpfMap Meta { get; }

    /// <summary>Series index → per-CPU <see cref="tl_syscall_stats"/> (index 0 is never used).</summary>
    public BpfMap SyscallStats { get; }

    /// <summary>Queue of series indexes no container has, each zeroed on every CPU.</summary>
    public BpfMap FreeSeries { get; }

    /// <summary>Row index → <see cref="tl_metrics_row"/>: a container's syscalls and their series.</summary>
    public BpfMap MetricsRows { get; }

    /// <summary>Queue of row indexes no container has, each zeroed.</summary>
    public BpfMap FreeMetricsRows { get; }

    /// <summary>Container (its own cgroup id) → its row index.</summary>
    public BpfMap MetricsRowIds { get; }

    /// <summary><see cref="tl_metrics_wide_key"/> → series index: syscall numbers outside the rows.</summary>
    public BpfMap MetricsWide { get; }

    /// <summary><see cref="tl_errno_key"/> → per-CPU count.</summary>
    public BpfMap SyscallErrors { get; }

    /// <summary><see cref="MetricsDrop"/> → per-CPU count.</summary>
    public BpfMap MetricsDrops { get; }

    /// <summary>The BPF ring buffer of <see cref="tl_exec_notice"/>: programs started in recorded containers, for the TLS service.</summary>
    public BpfMap ExecNotices { get; }

    /// <summary>One counter: exec notices the exec ring had no room for.</summary>
    public BpfMap ExecDrops { get; }

    public IReadOnlyList<string> AttachedPrograms { get; private set; } = [];

    /// <summary>The kernel's id of each attached program, read from its link (loaded here or pinned), for its run statistics.</summary>
    public unsafe IReadOnlyList<(string Name, uint Id)> ProgramIds()
    {
        var ids = new List<(string, uint)>();
        for (int i = 0; i < AttachedPrograms.Count; i++)
        {
            using SafeFileHandle? link = i < _links.Count
                ? new SafeFileHandle(Interop.Libbpf.bpf_link__fd(_links[i]), ownsHandle: false)
                : Pins?.Get("links", AttachedPrograms[i]);
            Interop.Libbpf.bpf_link_info info = default;
            uint length = (uint)sizeof(Interop.Libbpf.bpf_link_info);
            if (link is not null && Interop.Libbpf.bpf_obj_get_info_by_fd(link, &info, &length) == 0)
            {
                ids.Add((AttachedPrograms[i], info.prog_id));
            }
        }
        return ids;
    }

    /// <summary>
    /// A program of the loaded object, for what is attached later than start (the TLS uprobes,
    /// per library file); 0 when there is none, or when the recording was taken over from pins
    /// and no object is loaded in this process.
    /// </summary>
    public nint FindProgram(string name) =>
        _object is { IsInvalid: false, IsClosed: false } obj ? Interop.Libbpf.bpf_object__find_program_by_name(obj, name) : 0;

    /// <summary>
    /// The fd of a TLS uprobe program (<see cref="TlsProgramPrefix"/>), loaded here or taken over
    /// from its pin, for attaching it per library file; null when there is none. This owns the
    /// handle: callers use it, never dispose it.
    /// </summary>
    public SafeFileHandle? TlsProgram(string name)
    {
        if (!name.StartsWith(TlsProgramPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        lock (_tlsPrograms)
        {
            if (_tlsPrograms.TryGetValue(name, out SafeFileHandle? known))
            {
                return known;
            }
            SafeFileHandle? fd = null;
            nint prog = FindProgram(name);
            if (prog != 0)
            {
                int raw = Interop.Libbpf.bpf_program__fd(prog);
                fd = raw >= 0 ? new SafeFileHandle(raw, ownsHandle: false) : null;
            }
            else if (TakenOver && Pins is not null)
            {
                fd = Pins.Get("progs", name);
            }
            if (fd is not null)
            {
                _tlsPrograms[name] = fd;
            }
            return fd;
        }
    }

    /// <summary>
    /// Takes over the pinned state when it is exactly what this recorder would load (same record
    /// format, programs and settings); otherwise discards it, saying why, and loads afresh. With
    /// <paramref name="pinDirectory"/> null or empty nothing is pinned and the programs end with
    /// this process; so they do, with a warning, where no bpffs can be had.
    /// </summary>
    public static KernelProbes Open(KernelProbesConfig config, string? pinDirectory, bool reset, IPinnedStateArchive? archive, ILogger logger) =>
        Open(ReadEmbeddedObject(), config, pinDirectory, reset, archive, logger);

    /// <summary>
    /// As <see cref="Open(KernelProbesConfig, string?, bool, IPinnedStateArchive?, ILogger)"/>, with another build of
    /// bpf/traceloop.bpf.c: the functional tests load bench/ablate.sh's variants through it, so that none of them
    /// stops passing the verifier unnoticed.
    /// </summary>
    internal static KernelProbes Open(byte[] image, KernelProbesConfig config, string? pinDirectory, bool reset, IPinnedStateArchive? archive, ILogger logger)
    {
        if (!File.Exists(BtfPath))
        {
            throw new BpfException(
                $"this kernel exposes no BTF ({BtfPath} is missing): Traceloop needs Linux 5.19 or newer built with CONFIG_DEBUG_INFO_BTF=y", Errno.ENOENT);
        }
        tl_meta expected = PinnedMeta.Expected(image, config);
        KernelPins? pins = null;
        if (!string.IsNullOrEmpty(pinDirectory))
        {
            try
            {
                pins = KernelPins.Open(pinDirectory);
            }
            catch (KernelPinsUnavailableException e)
            {
                LogPinningUnavailable(logger, e.Message);
            }
        }
        try
        {
            if (pins is { HasState: true })
            {
                tl_meta? found = null;
                string? mismatch = reset ? null : PinnedMeta.Check(pins, expected, PinnedMaps, out found);
                if (!reset && mismatch is null)
                {
                    KernelProbes taken = TakeOver(config, pins);
                    LogTakenOver(logger, pins.Directory, taken.AttachedPrograms.Count);
                    return taken;
                }
                if (mismatch is not null && found is { } readable && PinnedMeta.Readable(readable, expected) && archive is not null)
                {
                    SaveRings(pins, (int)readable.ring_size, archive, mismatch, logger);
                }
                pins.Discard();
                if (reset)
                {
                    LogReset(logger, pins.Directory);
                }
                else
                {
                    LogDiscarded(logger, pins.Directory, mismatch!);
                }
            }
            else
            {
                // A staging leftover of a recorder killed while pinning: never committed, never used.
                pins?.Discard();
            }
            return Load(image, config, expected, pins, logger);
        }
        catch
        {
            pins?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Before a readable state is discarded, each ring that belonged to a container goes to the
    /// archive as a dump. Whatever fails here is logged: it must not keep the recorder from starting.
    /// </summary>
    private static void SaveRings(KernelPins pins, int ringSize, IPinnedStateArchive archive, string reason, ILogger logger)
    {
        var rings = new List<PinnedRing>();
        try
        {
            using var owners = new BpfMap("slot_owners", pins.Get("maps", "slot_owners")!);
            using var containers = new BpfMap("containers", pins.Get("maps", "containers")!);
            foreach (string name in pins.List("rings"))
            {
                if (!uint.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint slot)
                    || !owners.TryLookup(slot, out tl_slot_owner owner) || owner.cgroup_id == 0
                    || RingMap.OpenPinned(pins, slot, RingGeometry.ForThisMachine(ringSize)) is not { } ring)
                {
                    continue;
                }
                containers.TryLookup(owner.cgroup_id, out tl_container entry);
                rings.Add(new PinnedRing(slot, ring, owner, entry));
            }
            int saved = archive.Save(rings, reason);
            LogRingsSaved(logger, saved, rings.Count);
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogRingsNotSaved(logger, e.Message);
        }
        finally
        {
            foreach (PinnedRing ring in rings)
            {
                ring.Ring.Dispose();
            }
        }
    }

    private static KernelProbes TakeOver(KernelProbesConfig config, KernelPins pins)
    {
        var probes = new KernelProbes(null, null, config, name => new BpfMap(name, pins.Get("maps", name)
            ?? throw new BpfException($"the pinned state in {pins.Directory} has no map {name}", Errno.ENOENT)))
        {
            Pins = pins,
            TakenOver = true,
            AttachedPrograms = pins.List("links"),
        };
        // The previous recorder's pod selection is not this one's: it is applied again as pods are known.
        foreach (tl_pod_name excluded in probes.ExcludedPods.Keys<tl_pod_name>())
        {
            probes.ExcludedPods.Delete(excluded);
        }
        return probes;
    }

    private static unsafe KernelProbes Load(byte[] image, KernelProbesConfig config, tl_meta meta, KernelPins? pins, ILogger logger)
    {
        LibbpfLog.Install(logger);
        LibbpfLog.ClearRecent();

        // libbpf parses the ELF image in place until the load finishes: keep it pinned.
        fixed (byte* p = image)
        {
            SafeBpfObjectHandle obj = Interop.Libbpf.bpf_object__open_mem(p, (nuint)image.Length, 0);
            if (obj.IsInvalid)
            {
                throw BpfException.FromErrno("opening the embedded BPF object", Marshal.GetLastPInvokeError(), LibbpfLog.RecentWarnings());
            }
            RingMap? template = null;
            try
            {
                SetMaxEntries(obj, "containers", (uint)config.MaxCgroups);
                SetMaxEntries(obj, "rings", (uint)config.MaxSlots);
                SetMaxEntries(obj, "free_slots", (uint)config.MaxSlots);
                SetMaxEntries(obj, "slot_owners", (uint)config.MaxSlots);
                SetMetricsSizes(obj, config);
                var cfg = new tl_config
                {
                    sub_mask = (ulong)config.Rings.SubRingSize - 1,
                    sub_stride = (ulong)config.Rings.Stride,
                    nsub_mask = (uint)config.Rings.SubRings - 1,
                    sub_lines = (uint)(config.Rings.SubRings * RecordLayout.SubRingHeaderSize),
                    max_str = (uint)config.MaxString,
                    max_bytes = (uint)config.MaxBytes,
                    max_argv = (uint)config.MaxArgv,
                    cgroup_subsys = config.CgroupSubsys,
                    hierarchy_id = config.HierarchyId,
                    metrics = config.Metrics ? 1u : 0u,
                    max_tls_bytes = (uint)config.MaxTlsBytes,
                    // The syscall-error trigger is part of tl_sys_exit: a constant there, not a program to load.
                    watch_errors = config.Triggers.WatchedErrors is { Count: > 0 } ? 1u : 0u,
                };
                int err = Interop.Libbpf.bpf_map__set_initial_value(FindMap(obj, ".rodata"), &cfg, (nuint)sizeof(tl_config));
                if (err != 0)
                {
                    throw BpfException.FromErrno("configuring the BPF object", err);
                }
                template = RingMap.Create(config.Rings, template: true);
                err = Interop.Libbpf.bpf_map__set_inner_map_fd(FindMap(obj, "rings"), template.Map.RawFd);
                if (err != 0)
                {
                    throw BpfException.FromErrno("configuring the ring map template", err);
                }
                SelectTriggerPrograms(obj, config.Triggers);
                // Only the metrics need a call's start time to follow its task off the CPU.
                SetAutoload(obj, "tl_metrics_switch", config.Metrics);
                err = Interop.Libbpf.bpf_object__load(obj);
                if (err != 0)
                {
                    string warnings = LibbpfLog.RecentWarnings();
                    // EACCES with a load log is the verifier refusing a program, not a missing privilege.
                    string? advice = -err switch
                    {
                        7 => "the kernel's verifier found a program too complex (this kernel may be older than Traceloop supports; the verifier log is in the recorder's log)",
                        13 when warnings.Contains("BEGIN PROG LOAD LOG", StringComparison.Ordinal) =>
                            "the kernel's verifier rejected a program (this kernel may be older than Traceloop supports, or the object was built differently; its last lines follow, the whole log is in the recorder's log)",
                        _ => null,
                    };
                    throw BpfException.FromErrno("loading the BPF programs into the kernel", err, LastLines(warnings, 12), advice);
                }
                var probes = new KernelProbes(obj, template, config, name => MapOf(obj, name));
                // What to copy from user memory goes in before any program runs.
                probes.LoadCaptures();
                probes.FillMetricsPools();
                foreach ((int nr, int errno) in config.Triggers.WatchedErrors ?? [])
                {
                    probes.WatchedErrors.Update(new tl_watched_error { nr = (uint)nr, err = (uint)errno }, (byte)1);
                }
                probes.AttachAll();
                if (pins is not null)
                {
                    probes.PinAll(pins, meta, logger);
                }
                return probes;
            }
            catch
            {
                template?.Dispose();
                obj.Dispose();
                throw;
            }
        }
    }

    /// <summary>Metrics off, the maps are made with one entry each: the programs never touch them.</summary>
    private static void SetMetricsSizes(SafeBpfObjectHandle obj, KernelProbesConfig config)
    {
        uint rows = config.Metrics ? (uint)config.MetricsRows : 1;
        uint series = config.Metrics ? (uint)config.MetricsSeries + 1 : 1;
        SetMaxEntries(obj, "metrics_rows", rows);
        SetMaxEntries(obj, "free_metrics_rows", rows);
        SetMaxEntries(obj, "metrics_row_ids", rows);
        SetMaxEntries(obj, "syscall_stats", series);
        SetMaxEntries(obj, "free_series", series);
        SetMaxEntries(obj, "metrics_wide", series);
        SetMaxEntries(obj, "syscall_errors", (uint)(config.MaxSlots * SyscallMetricsLayout.MaxSyscalls));
    }

    /// <summary>Every row and series but index 0 starts in its pool (a fresh load only: a takeover continues the pinned pools).</summary>
    private void FillMetricsPools()
    {
        if (!Config.Metrics)
        {
            return;
        }
        for (uint row = 1; row < (uint)Config.MetricsRows; row++)
        {
            FreeMetricsRows.Push(row);
        }
        for (uint series = 1; series <= (uint)Config.MetricsSeries; series++)
        {
            FreeSeries.Push(series);
        }
    }

    /// <summary>Programs left out are not loaded at all: no verifier time, no attachment, no cost per event.</summary>
    private static void SelectTriggerPrograms(SafeBpfObjectHandle obj, KernelTriggers triggers)
    {
        SetAutoload(obj, "tl_oom_victim", triggers.OomVictim);
        SetAutoload(obj, "tl_fatal_signal", triggers.FatalSignals);
    }

    private static void SetAutoload(SafeBpfObjectHandle obj, string program, bool load)
    {
        nint prog = Interop.Libbpf.bpf_object__find_program_by_name(obj, program);
        if (prog == 0)
        {
            throw new BpfException($"the embedded BPF object has no program {program}: the build is broken", Errno.ENOENT);
        }
        int err = Interop.Libbpf.bpf_program__set_autoload(prog, load);
        if (err != 0)
        {
            throw BpfException.FromErrno($"configuring BPF program {program}", err);
        }
    }

    private void LoadCaptures()
    {
        foreach ((int nr, tl_syscall_captures plan) in Config.Captures)
        {
            Captures.Update((uint)nr, plan);
        }
    }

    /// <summary>The TLS uprobe programs (bpf/traceloop.bpf.c) name no target: they are attached to each library file found, not here.</summary>
    internal const string TlsProgramPrefix = "tl_tls_";

    private void AttachAll()
    {
        SafeBpfObjectHandle obj = _object ?? throw new InvalidOperationException("nothing loaded to attach");
        var names = new List<string>();
        try
        {
            for (nint prog = Interop.Libbpf.bpf_object__next_program(obj, 0); prog != 0;
                 prog = Interop.Libbpf.bpf_object__next_program(obj, prog))
            {
                if (!Interop.Libbpf.bpf_program__autoload(prog))
                {
                    continue; // a trigger left unloaded
                }
                string name = Marshal.PtrToStringUTF8(Interop.Libbpf.bpf_program__name(prog)) ?? "?";
                if (name.StartsWith(TlsProgramPrefix, StringComparison.Ordinal))
                {
                    continue; // uprobes, attached per library file by the Tls room
                }
                SafeBpfLinkHandle link = Interop.Libbpf.bpf_program__attach(prog);
                if (link.IsInvalid)
                {
                    throw BpfException.FromErrno($"attaching BPF program {name}", Marshal.GetLastPInvokeError(), LastLines(LibbpfLog.RecentWarnings(), 4));
                }
                _links.Add(link);
                names.Add(name);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        AttachedPrograms = names;
    }

    private List<string> TlsProgramNames()
    {
        var names = new List<string>();
        SafeBpfObjectHandle obj = _object ?? throw new InvalidOperationException("nothing loaded to pin");
        for (nint prog = Interop.Libbpf.bpf_object__next_program(obj, 0); prog != 0; prog = Interop.Libbpf.bpf_object__next_program(obj, prog))
        {
            string name = Marshal.PtrToStringUTF8(Interop.Libbpf.bpf_program__name(prog)) ?? "?";
            if (name.StartsWith(TlsProgramPrefix, StringComparison.Ordinal))
            {
                names.Add(name);
            }
        }
        return names;
    }

    private static BpfMap MapOf(SafeBpfObjectHandle obj, string name)
    {
        int fd = Interop.Libbpf.bpf_map__fd(FindMap(obj, name));
        // The object owns the descriptor; it is closed with the object.
        return new BpfMap(name, new SafeFileHandle(fd, ownsHandle: false));
    }

    /// <summary>
    /// Pins the maps and links under staging, writes meta and commits. A failure here costs the
    /// restart survival, not the recording: it is logged and the state stays unpinned.
    /// </summary>
    private void PinAll(KernelPins pins, tl_meta meta, ILogger logger)
    {
        try
        {
            pins.BeginStaging();
            Meta.Update(0u, meta);
            foreach (BpfMap map in _maps)
            {
                pins.PinStaged("maps", map.Name, map.RawFd);
            }
            for (int i = 0; i < _links.Count; i++)
            {
                pins.PinStaged("links", AttachedPrograms[i], Interop.Libbpf.bpf_link__fd(_links[i]));
            }
            // The TLS programs are attached later, per library file: pinned as programs, so a
            // recorder that takes this state over can attach them too (its links are its own).
            foreach (string name in TlsProgramNames())
            {
                pins.PinStaged("progs", name, Interop.Libbpf.bpf_program__fd(FindProgram(name)));
            }
            pins.Commit();
            Pins = pins;
            LogPinned(logger, pins.Directory);
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException)
        {
            try
            {
                pins.Discard();
            }
            catch (IOException)
            {
            }
            pins.Dispose();
            LogPinningUnavailable(logger, e.Message);
        }
    }

    private static nint FindMap(SafeBpfObjectHandle obj, string suffix)
    {
        for (nint map = Interop.Libbpf.bpf_object__next_map(obj, 0); map != 0; map = Interop.Libbpf.bpf_object__next_map(obj, map))
        {
            string? name = Marshal.PtrToStringUTF8(Interop.Libbpf.bpf_map__name(map));
            // Internal maps are named "<object prefix>.rodata"; ours by their C names.
            if (name == suffix || (suffix.StartsWith('.') && name is not null && name.EndsWith(suffix, StringComparison.Ordinal)))
            {
                return map;
            }
        }
        throw new BpfException($"the embedded BPF object has no map {suffix}: the build is broken", Errno.ENOENT);
    }

    private static void SetMaxEntries(SafeBpfObjectHandle obj, string name, uint entries)
    {
        int err = Interop.Libbpf.bpf_map__set_max_entries(FindMap(obj, name), entries);
        if (err != 0)
        {
            throw BpfException.FromErrno($"sizing BPF map {name}", err);
        }
    }

    private static byte[] ReadEmbeddedObject()
    {
        using Stream? stream = typeof(KernelProbes).Assembly.GetManifestResourceStream(ObjectResource)
            ?? throw new BpfException($"the recorder was built without its BPF object ({ObjectResource}); rebuild with clang and libbpf-dev installed", Errno.ENOENT);
        var image = new byte[stream.Length];
        stream.ReadExactly(image);
        return image;
    }

    private static string LastLines(string text, int count)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - count)));
    }

    public void Dispose()
    {
        foreach (SafeBpfLinkHandle link in _links)
        {
            link.Dispose();
        }
        _links.Clear();
        lock (_tlsPrograms)
        {
            foreach (SafeFileHandle program in _tlsPrograms.Values)
            {
                program.Dispose();
            }
            _tlsPrograms.Clear();
        }
        foreach (BpfMap map in _maps)
        {
            map.Dispose();
        }
        _object?.Dispose();
        _template?.Dispose();
        Pins?.Dispose();
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Took over the recording pinned in {Directory} ({Programs} programs attached): every container keeps its history")]
    private static partial void LogTakenOver(ILogger logger, string directory, int programs);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "Discarded the recording pinned in {Directory}, because {Reason}; the rings it held are gone and recording starts afresh")]
    private static partial void LogDiscarded(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "Discarded the recording pinned in {Directory}, as --reset asked")]
    private static partial void LogReset(ILogger logger, string directory);

    [LoggerMessage(EventId = 123, Level = LogLevel.Warning, Message = "The recording is not pinned ({Reason}): it ends with this process, and a restart starts every container's history afresh")]
    private static partial void LogPinningUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 125, Level = LogLevel.Warning, Message = "Saved {Saved} of the {Rings} recorded containers' rings of the replaced recording as dumps (trigger replaced)")]
    private static partial void LogRingsSaved(ILogger logger, int saved, int rings);

    [LoggerMessage(EventId = 126, Level = LogLevel.Error, Message = "Could not save the rings of the replaced recording ({Reason}); they are discarded")]
    private static partial void LogRingsNotSaved(ILogger logger, string reason);

    [LoggerMessage(EventId = 124, Level = LogLevel.Information, Message = "Pinned the programs, maps and rings in {Directory}: they keep recording while the recorder restarts")]
    private static partial void LogPinned(ILogger logger, string directory);
}
