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
/// <param name="Triggers">Which crash-trigger programs to load; the others are never loaded, so they cost nothing.</param>
internal readonly record struct KernelProbesConfig(int RingSize, int MaxSlots, int MaxCgroups, int MaxString,
    IReadOnlyDictionary<int, tl_syscall_captures> Captures,
    uint CgroupSubsys = 0, int HierarchyId = 0, int MaxBytes = 64, int MaxArgv = 16, KernelTriggers Triggers = default);

/// <summary>The kernel side of the crash triggers.</summary>
/// <param name="OomVictim">Load the mark_victim program (needs Linux 6.9+, where the tracepoint passes the task).</param>
/// <param name="FatalSignals">Report fatal signals as they are delivered.</param>
/// <param name="WatchedErrors">(syscall number, errno) pairs whose failure is reported; none leaves the program unloaded.</param>
internal readonly record struct KernelTriggers(bool OomVictim, bool FatalSignals, IReadOnlyList<(int Nr, int Errno)>? WatchedErrors);

/// <summary>
/// The loaded and attached eBPF object (bpf/traceloop.bpf.c) and its maps. Disposing it
/// detaches every program and frees every map the recorder does not hold elsewhere.
/// </summary>
internal sealed class KernelProbes : IDisposable
{
    private const string ObjectResource = "traceloop.bpf.o";
    private const string BtfPath = "/sys/kernel/btf/vmlinux";

    private readonly SafeBpfObjectHandle _object;
    private readonly List<SafeBpfLinkHandle> _links = [];
    private readonly RingMap _template;

    private KernelProbes(SafeBpfObjectHandle obj, RingMap template, KernelProbesConfig config)
    {
        _object = obj;
        _template = template;
        Config = config;
        Containers = MapByName("containers");
        Rings = MapByName("rings");
        FreeSlots = MapByName("free_slots");
        Control = MapByName("control");
        Captures = MapByName("captures");
        ExcludedPods = MapByName("excluded_pods");
        WatchedErrors = MapByName("watched_errors");
        ControlDrops = MapByName("control_drops");
    }

    public KernelProbesConfig Config { get; }

    /// <summary>cgroup id → <see cref="tl_container"/>.</summary>
    public BpfMap Containers { get; }

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

    /// <summary><see cref="tl_watched_error"/> → 1: the syscall failures the syscall-error trigger reports.</summary>
    public BpfMap WatchedErrors { get; }

    /// <summary>One counter: notices the control ring had no room for.</summary>
    public BpfMap ControlDrops { get; }

    public IReadOnlyList<string> AttachedPrograms { get; private set; } = [];

    public static unsafe KernelProbes Load(KernelProbesConfig config, ILogger logger)
    {
        if (!File.Exists(BtfPath))
        {
            throw new BpfException(
                $"this kernel exposes no BTF ({BtfPath} is missing): Traceloop needs Linux 5.17 or newer built with CONFIG_DEBUG_INFO_BTF=y", Errno.ENOENT);
        }
        LibbpfLog.Install(logger);
        LibbpfLog.ClearRecent();

        byte[] image = ReadEmbeddedObject();
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
                var cfg = new tl_config
                {
                    ring_mask = (ulong)config.RingSize - 1,
                    max_str = (uint)config.MaxString,
                    max_bytes = (uint)config.MaxBytes,
                    max_argv = (uint)config.MaxArgv,
                    cgroup_subsys = config.CgroupSubsys,
                    hierarchy_id = config.HierarchyId,
                };
                int err = Interop.Libbpf.bpf_map__set_initial_value(FindMap(obj, ".rodata"), &cfg, (nuint)sizeof(tl_config));
                if (err != 0)
                {
                    throw BpfException.FromErrno("configuring the BPF object", err);
                }
                template = RingMap.Create(config.RingSize, template: true);
                err = Interop.Libbpf.bpf_map__set_inner_map_fd(FindMap(obj, "rings"), template.Map.RawFd);
                if (err != 0)
                {
                    throw BpfException.FromErrno("configuring the ring map template", err);
                }
                SelectTriggerPrograms(obj, config.Triggers);
                err = Interop.Libbpf.bpf_object__load(obj);
                if (err != 0)
                {
                    throw BpfException.FromErrno("loading the BPF programs into the kernel", err, LastLines(LibbpfLog.RecentWarnings(), 12),
                        -err == 7 ? "the kernel's verifier found a program too complex (this kernel may be older than Traceloop supports; the verifier log is in the recorder's log)" : null);
                }
                var probes = new KernelProbes(obj, template, config);
                // What to copy from user memory goes in before any program runs.
                probes.LoadCaptures();
                foreach ((int nr, int errno) in config.Triggers.WatchedErrors ?? [])
                {
                    probes.WatchedErrors.Update(new tl_watched_error { nr = (uint)nr, err = (uint)errno }, (byte)1);
                }
                probes.AttachAll();
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

    /// <summary>Programs left out are not loaded at all: no verifier time, no attachment, no cost per event.</summary>
    private static void SelectTriggerPrograms(SafeBpfObjectHandle obj, KernelTriggers triggers)
    {
        SetAutoload(obj, "tl_oom_victim", triggers.OomVictim);
        SetAutoload(obj, "tl_fatal_signal", triggers.FatalSignals);
        SetAutoload(obj, "tl_watch_errors", triggers.WatchedErrors is { Count: > 0 });
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

    private void AttachAll()
    {
        var names = new List<string>();
        try
        {
            for (nint prog = Interop.Libbpf.bpf_object__next_program(_object, 0); prog != 0;
                 prog = Interop.Libbpf.bpf_object__next_program(_object, prog))
            {
                if (!Interop.Libbpf.bpf_program__autoload(prog))
                {
                    continue; // a trigger left unloaded
                }
                string name = Marshal.PtrToStringUTF8(Interop.Libbpf.bpf_program__name(prog)) ?? "?";
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

    private BpfMap MapByName(string name)
    {
        int fd = Interop.Libbpf.bpf_map__fd(FindMap(_object, name));
        // The object owns the descriptor; it is closed with the object.
        return new BpfMap(name, new SafeFileHandle(fd, ownsHandle: false));
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
        _object.Dispose();
        _template.Dispose();
    }
}
