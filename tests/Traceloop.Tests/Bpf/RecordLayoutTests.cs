using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Tests.Bpf;

/// <summary>
/// Compiles a C program against bpf/traceloop.h and compares every size, offset and constant
/// it prints with the C# mirror in recorder/Traceloop.Recorder/Bpf (RecordLayout.cs, SyscallCaptures.cs, KernelMaps.cs).
/// </summary>
public sealed class RecordLayoutTests
{
    // (C struct, C field expression, C# type, C# field)
    private static readonly (string Struct, string CField, Type Type, string Field)[] Fields =
    [
        ("tl_ring_hdr", "unused[0]", typeof(tl_ring_hdr), "unused0"),
        ("tl_ring_hdr", "unused[1]", typeof(tl_ring_hdr), "unused1"),
        ("tl_ring_hdr", "key", typeof(tl_ring_hdr), "key"),
        ("tl_ring_hdr", "size", typeof(tl_ring_hdr), "size"),
        ("tl_ring_hdr", "nsub", typeof(tl_ring_hdr), "nsub"),
        ("tl_ring_hdr", "pad", typeof(tl_ring_hdr), "pad"),
        ("tl_ring_hdr", "sub_size", typeof(tl_ring_hdr), "sub_size"),
        ("tl_ring_hdr", "reserved[0]", typeof(tl_ring_hdr), "reserved0"),
        ("tl_ring_hdr", "reserved[1]", typeof(tl_ring_hdr), "reserved1"),
        ("tl_sub_hdr", "head", typeof(tl_sub_hdr), "head"),
        ("tl_sub_hdr", "records", typeof(tl_sub_hdr), "records"),
        ("tl_sub_hdr", "key", typeof(tl_sub_hdr), "key"),
        ("tl_sub_hdr", "reserved[0]", typeof(tl_sub_hdr), "reserved0"),
        ("tl_sub_hdr", "reserved[1]", typeof(tl_sub_hdr), "reserved1"),
        ("tl_sub_hdr", "reserved[2]", typeof(tl_sub_hdr), "reserved2"),
        ("tl_sub_hdr", "reserved[3]", typeof(tl_sub_hdr), "reserved3"),
        ("tl_sub_hdr", "reserved[4]", typeof(tl_sub_hdr), "reserved4"),
        ("tl_rec", "tag", typeof(tl_rec), "tag"),
        ("tl_rec", "seq", typeof(tl_rec), "seq"),
        ("tl_rec", "len", typeof(tl_rec), "len"),
        ("tl_rec", "kind", typeof(tl_rec), "kind"),
        ("tl_rec", "flags", typeof(tl_rec), "flags"),
        ("tl_rec", "ts", typeof(tl_rec), "ts"),
        ("tl_rec", "pid", typeof(tl_rec), "pid"),
        ("tl_rec", "tid", typeof(tl_rec), "tid"),
        ("tl_payload", "kind", typeof(tl_payload), "kind"),
        ("tl_payload", "arg", typeof(tl_payload), "arg"),
        ("tl_payload", "flags", typeof(tl_payload), "flags"),
        ("tl_payload", "pad", typeof(tl_payload), "pad"),
        ("tl_payload", "len", typeof(tl_payload), "len"),
        ("tl_payload", "pad2", typeof(tl_payload), "pad2"),
        ("tl_enter", "h", typeof(tl_enter), "h"),
        ("tl_enter", "nr", typeof(tl_enter), "nr"),
        ("tl_enter", "npayloads", typeof(tl_enter), "npayloads"),
        ("tl_enter", "pad", typeof(tl_enter), "pad"),
        ("tl_enter", "comm", typeof(tl_enter), "comm"),
        ("tl_enter", "args", typeof(tl_enter), "args"),
        ("tl_exit", "h", typeof(tl_exit), "h"),
        ("tl_exit", "nr", typeof(tl_exit), "nr"),
        ("tl_exit", "npayloads", typeof(tl_exit), "npayloads"),
        ("tl_exit", "pad", typeof(tl_exit), "pad"),
        ("tl_exit", "ret", typeof(tl_exit), "ret"),
        ("tl_proc_exit", "h", typeof(tl_proc_exit), "h"),
        ("tl_proc_exit", "exit_code", typeof(tl_proc_exit), "exit_code"),
        ("tl_proc_exit", "is_leader", typeof(tl_proc_exit), "is_leader"),
        ("tl_proc_exit", "comm", typeof(tl_proc_exit), "comm"),
        ("tl_container", "slot", typeof(tl_container), "slot"),
        ("tl_container", "main_pid", typeof(tl_container), "main_pid"),
        ("tl_container", "missed", typeof(tl_container), "missed"),
        ("tl_container", "parent", typeof(tl_container), "parent"),
        ("tl_container", "level", typeof(tl_container), "level"),
        ("tl_container", "pad", typeof(tl_container), "pad"),
        ("tl_control", "kind", typeof(tl_control), "kind"),
        ("tl_control", "slot", typeof(tl_control), "slot"),
        ("tl_control", "cgroup_id", typeof(tl_control), "cgroup_id"),
        ("tl_control", "parent_id", typeof(tl_control), "parent_id"),
        ("tl_control", "ts", typeof(tl_control), "ts"),
        ("tl_control", "status", typeof(tl_control), "status"),
        ("tl_control", "pid", typeof(tl_control), "pid"),
        ("tl_control", "path", typeof(tl_control), "path"),
        ("tl_control", "tid", typeof(tl_control), "tid"),
        ("tl_control", "nr", typeof(tl_control), "nr"),
        ("tl_watched_error", "nr", typeof(tl_watched_error), "nr"),
        ("tl_watched_error", "err", typeof(tl_watched_error), "err"),
        ("tl_exec_notice", "cgroup_id", typeof(tl_exec_notice), "cgroup_id"),
        ("tl_exec_notice", "ts", typeof(tl_exec_notice), "ts"),
        ("tl_exec_notice", "pid", typeof(tl_exec_notice), "pid"),
        ("tl_exec_notice", "pad", typeof(tl_exec_notice), "pad"),
        ("tl_config", "sub_mask", typeof(tl_config), "sub_mask"),
        ("tl_config", "sub_stride", typeof(tl_config), "sub_stride"),
        ("tl_config", "nsub_mask", typeof(tl_config), "nsub_mask"),
        ("tl_config", "sub_lines", typeof(tl_config), "sub_lines"),
        ("tl_config", "max_str", typeof(tl_config), "max_str"),
        ("tl_config", "max_bytes", typeof(tl_config), "max_bytes"),
        ("tl_config", "max_argv", typeof(tl_config), "max_argv"),
        ("tl_signal", "h", typeof(tl_signal), "h"),
        ("tl_signal", "signo", typeof(tl_signal), "signo"),
        ("tl_signal", "code", typeof(tl_signal), "code"),
        ("tl_signal", "handler", typeof(tl_signal), "handler"),
        ("tl_signal", "info", typeof(tl_signal), "info"),
        ("tl_signal", "comm", typeof(tl_signal), "comm"),
        ("tl_tcp", "h", typeof(tl_tcp), "h"),
        ("tl_tcp", "sk", typeof(tl_tcp), "sk"),
        ("tl_tcp", "oldstate", typeof(tl_tcp), "oldstate"),
        ("tl_tcp", "newstate", typeof(tl_tcp), "newstate"),
        ("tl_tcp", "family", typeof(tl_tcp), "family"),
        ("tl_tcp", "sport", typeof(tl_tcp), "sport"),
        ("tl_tcp", "dport", typeof(tl_tcp), "dport"),
        ("tl_tcp", "pad", typeof(tl_tcp), "pad"),
        ("tl_tcp", "saddr", typeof(tl_tcp), "saddr"),
        ("tl_tcp", "daddr", typeof(tl_tcp), "daddr"),
        ("tl_tcp", "comm", typeof(tl_tcp), "comm"),
        ("tl_tls", "h", typeof(tl_tls), "h"),
        ("tl_tls", "direction", typeof(tl_tls), "direction"),
        ("tl_tls", "library", typeof(tl_tls), "library"),
        ("tl_tls", "npayloads", typeof(tl_tls), "npayloads"),
        ("tl_tls", "fd", typeof(tl_tls), "fd"),
        ("tl_tls", "ret", typeof(tl_tls), "ret"),
        ("tl_tls", "start", typeof(tl_tls), "start"),
        ("tl_tls", "comm", typeof(tl_tls), "comm"),
        ("tl_capture", "kind", typeof(tl_capture), "kind"),
        ("tl_capture", "arg", typeof(tl_capture), "arg"),
        ("tl_capture", "at_exit", typeof(tl_capture), "at_exit"),
        ("tl_capture", "size_src", typeof(tl_capture), "size_src"),
        ("tl_capture", "size_arg", typeof(tl_capture), "size_arg"),
        ("tl_capture", "flags", typeof(tl_capture), "flags"),
        ("tl_capture", "size", typeof(tl_capture), "size"),
        ("tl_capture", "limit", typeof(tl_capture), "limit"),
        ("tl_capture", "sel_arg", typeof(tl_capture), "sel_arg"),
        ("tl_capture", "pad", typeof(tl_capture), "pad"),
        ("tl_capture", "sel_value", typeof(tl_capture), "sel_value"),
        ("tl_capture", "offset", typeof(tl_capture), "offset"),
        ("tl_syscall_captures", "enter", typeof(tl_syscall_captures), "enter"),
        ("tl_syscall_captures", "exit", typeof(tl_syscall_captures), "exit"),
        ("tl_syscall_captures", "items[0]", typeof(tl_syscall_captures), "item0"),
        ("tl_syscall_captures", "items[1]", typeof(tl_syscall_captures), "item1"),
        ("tl_syscall_captures", "items[2]", typeof(tl_syscall_captures), "item2"),
        ("tl_syscall_captures", "items[3]", typeof(tl_syscall_captures), "item3"),
        ("tl_syscall_captures", "items[4]", typeof(tl_syscall_captures), "item4"),
        ("tl_syscall_captures", "items[5]", typeof(tl_syscall_captures), "item5"),
        ("tl_syscall_captures", "items[6]", typeof(tl_syscall_captures), "item6"),
        ("tl_syscall_captures", "items[7]", typeof(tl_syscall_captures), "item7"),
        ("tl_syscall_captures", "pad[0]", typeof(tl_syscall_captures), "pad0"),
        ("tl_syscall_captures", "pad[1]", typeof(tl_syscall_captures), "pad1"),
        ("tl_syscall_captures", "pad[2]", typeof(tl_syscall_captures), "pad2"),
        ("tl_syscall_captures", "pad[3]", typeof(tl_syscall_captures), "pad3"),
        ("tl_syscall_captures", "pad[4]", typeof(tl_syscall_captures), "pad4"),
        ("tl_syscall_captures", "pad[5]", typeof(tl_syscall_captures), "pad5"),
        ("tl_config", "cgroup_subsys", typeof(tl_config), "cgroup_subsys"),
        ("tl_config", "hierarchy_id", typeof(tl_config), "hierarchy_id"),
        ("tl_config", "metrics", typeof(tl_config), "metrics"),
        ("tl_config", "max_tls_bytes", typeof(tl_config), "max_tls_bytes"),
        ("tl_config", "watch_errors", typeof(tl_config), "watch_errors"),
        ("tl_metrics_row", "count", typeof(tl_metrics_row), "count"),
        ("tl_metrics_row", "pad", typeof(tl_metrics_row), "pad"),
        ("tl_metrics_row", "series", typeof(tl_metrics_row), "series"),
        ("tl_metrics_wide_key", "row", typeof(tl_metrics_wide_key), "row"),
        ("tl_metrics_wide_key", "nr", typeof(tl_metrics_wide_key), "nr"),
        ("tl_syscall_stats", "calls", typeof(tl_syscall_stats), "calls"),
        ("tl_syscall_stats", "errors", typeof(tl_syscall_stats), "errors"),
        ("tl_syscall_stats", "ns", typeof(tl_syscall_stats), "ns"),
        ("tl_syscall_stats", "buckets", typeof(tl_syscall_stats), "buckets"),
        ("tl_errno_key", "cgroup_id", typeof(tl_errno_key), "cgroup_id"),
        ("tl_errno_key", "nr", typeof(tl_errno_key), "nr"),
        ("tl_errno_key", "err", typeof(tl_errno_key), "err"),
        ("tl_meta", "format_version", typeof(tl_meta), "format_version"),
        ("tl_meta", "state_version", typeof(tl_meta), "state_version"),
        ("tl_meta", "build", typeof(tl_meta), "build"),
        ("tl_meta", "created", typeof(tl_meta), "created"),
        ("tl_meta", "ring_size", typeof(tl_meta), "ring_size"),
        ("tl_meta", "max_slots", typeof(tl_meta), "max_slots"),
        ("tl_meta", "pad", typeof(tl_meta), "pad"),
        ("tl_slot_owner", "cgroup_id", typeof(tl_slot_owner), "cgroup_id"),
        ("tl_slot_owner", "first_seen", typeof(tl_slot_owner), "first_seen"),
        ("tl_slot_owner", "exited", typeof(tl_slot_owner), "exited"),
        ("tl_slot_owner", "since", typeof(tl_slot_owner), "since"),
        ("tl_slot_owner", "exit_status", typeof(tl_slot_owner), "exit_status"),
        ("tl_slot_owner", "main_pid", typeof(tl_slot_owner), "main_pid"),
        ("tl_slot_owner", "origin", typeof(tl_slot_owner), "origin"),
        ("tl_slot_owner", "flags", typeof(tl_slot_owner), "flags"),
        ("tl_slot_owner", "path", typeof(tl_slot_owner), "path"),
    ];

    private static readonly (string Struct, Type Type)[] Structs =
    [
        ("tl_ring_hdr", typeof(tl_ring_hdr)),
        ("tl_sub_hdr", typeof(tl_sub_hdr)),
        ("tl_rec", typeof(tl_rec)),
        ("tl_payload", typeof(tl_payload)),
        ("tl_enter", typeof(tl_enter)),
        ("tl_exit", typeof(tl_exit)),
        ("tl_proc_exit", typeof(tl_proc_exit)),
        ("tl_container", typeof(tl_container)),
        ("tl_control", typeof(tl_control)),
        ("tl_exec_notice", typeof(tl_exec_notice)),
        ("tl_watched_error", typeof(tl_watched_error)),
        ("tl_config", typeof(tl_config)),
        ("tl_signal", typeof(tl_signal)),
        ("tl_tcp", typeof(tl_tcp)),
        ("tl_tls", typeof(tl_tls)),
        ("tl_capture", typeof(tl_capture)),
        ("tl_syscall_captures", typeof(tl_syscall_captures)),
        ("tl_meta", typeof(tl_meta)),
        ("tl_slot_owner", typeof(tl_slot_owner)),
        ("tl_metrics_row", typeof(tl_metrics_row)),
        ("tl_metrics_wide_key", typeof(tl_metrics_wide_key)),
        ("tl_syscall_stats", typeof(tl_syscall_stats)),
        ("tl_errno_key", typeof(tl_errno_key)),
    ];

    private static readonly (string Name, long Value)[] Constants =
    [
        ("TL_FORMAT_VERSION", RecordLayout.FormatVersion),
        ("TL_METRICS_BUCKETS", SyscallMetricsLayout.Buckets),
        ("TL_METRICS_FIRST_SHIFT", SyscallMetricsLayout.FirstShift),
        ("TL_METRICS_MAX_SYSCALLS", SyscallMetricsLayout.MaxSyscalls),
        ("TL_METRICS_OTHER", SyscallMetricsLayout.Other),
        ("TL_METRICS_ROW_NRS", SyscallMetricsLayout.RowNumbers),
        ("TL_METRICS_ROW_UNNUMBERED", SyscallMetricsLayout.RowUnnumbered),
        ("TL_METRICS_ROW_OTHER", SyscallMetricsLayout.RowOther),
        ("TL_METRICS_ROW_LEN", SyscallMetricsLayout.RowLength),
        ("TL_METRICS_FOLDED", (long)MetricsDrop.Folded),
        ("TL_METRICS_MAP_FULL", (long)MetricsDrop.MapFull),
        ("TL_METRICS_NDROPS", (long)MetricsDrop.Count),
        ("TL_RING_HDR_SIZE", RecordLayout.RingHeaderSize),
        ("TL_SUB_HDR_SIZE", RecordLayout.SubRingHeaderSize),
        ("TL_MAX_RECORD", RecordLayout.MaxRecord),
        ("TL_MAX_STR", RecordLayout.MaxString),
        ("TL_COMM_LEN", RecordLayout.CommLength),
        ("TL_NAME_LEN", RecordLayout.NameLength),
        ("TL_PATH_LEN", RecordLayout.PathLength),
        ("TL_SLOT_PENDING", RecordLayout.SlotPending),
        ("TL_KIND_ENTER", (long)RecordKind.Enter),
        ("TL_KIND_EXIT", (long)RecordKind.Exit),
        ("TL_KIND_PROC_EXIT", (long)RecordKind.ProcessExit),
        ("TL_REC_TRUNCATED", (long)RecordFlags.Truncated),
        ("TL_PAYLOAD_STR", (long)PayloadKind.String),
        ("TL_PAYLOAD_BYTES", (long)PayloadKind.Bytes),
        ("TL_PAYLOAD_TRUNCATED", (long)PayloadFlags.Truncated),
        ("TL_PAYLOAD_FAULT", (long)PayloadFlags.Fault),
        ("TL_CTL_CGROUP_NEW", (long)ControlKind.CgroupNew),
        ("TL_CTL_CGROUP_GONE", (long)ControlKind.CgroupGone),
        ("TL_CTL_MAIN_EXIT", (long)ControlKind.MainExit),
        ("TL_CTL_OOM_VICTIM", (long)ControlKind.OomVictim),
        ("TL_CTL_FATAL_SIGNAL", (long)ControlKind.FatalSignal),
        ("TL_CTL_SYSCALL_ERROR", (long)ControlKind.SyscallError),
        ("TL_TRIGGER_INTERVAL_NS", (long)RecordLayout.TriggerIntervalNs),
        ("TL_KIND_SIGNAL", (long)RecordKind.Signal),
        ("TL_KIND_TCP", (long)RecordKind.Tcp),
        ("TL_KIND_TLS", (long)RecordKind.Tls),
        ("TL_TLS_WRITE", (long)TlsDirection.Write),
        ("TL_TLS_READ", (long)TlsDirection.Read),
        ("TL_TLS_OPENSSL", (long)TlsLibrary.OpenSsl),
        ("TL_TLS_GO", (long)TlsLibrary.Go),
        ("TL_PAYLOAD_STRV", (long)PayloadKind.StringArray),
        ("TL_PAYLOAD_COUNT", (long)PayloadKind.Count),
        ("TL_PAYLOAD_REREAD", (long)PayloadFlags.Reread),
        ("TL_MAX_ARGV", RecordLayout.MaxArgv),
        ("TL_MAX_PAYLOAD", RecordLayout.MaxPayload),
        ("TL_MAX_CAPTURES", RecordLayout.MaxCaptures),
        ("TL_CAP_STR", (long)CaptureKind.String),
        ("TL_CAP_BYTES", (long)CaptureKind.Bytes),
        ("TL_CAP_STRV", (long)CaptureKind.StringArray),
        ("TL_CAP_DIRENTS", (long)CaptureKind.DirentCount),
        ("TL_CAP_STRV_COUNT", (long)CaptureKind.StringArrayCount),
        ("TL_CAP_IOVEC", (long)CaptureKind.IoVec),
        ("TL_CAP_MSGHDR", (long)CaptureKind.MsgHdr),
        ("TL_MAX_IOV", Traceloop.Recorder.Decoding.Structs.IoVec.MaxPrinted),
        ("TL_MAX_SOCKADDR", Traceloop.Recorder.Decoding.Structs.SockAddr.MaxSize),
        ("TL_SIZE_FIXED", (long)SizeSource.Fixed),
        ("TL_SIZE_ARG", (long)SizeSource.Arg),
        ("TL_SIZE_RET", (long)SizeSource.Ret),
        ("TL_SIZE_ARG_PTR", (long)SizeSource.ArgPointer),
        ("TL_SIZE_ARG_MUL", (long)SizeSource.ArgTimes),
        ("TL_SIZE_RET_MUL", (long)SizeSource.RetTimes),
        ("TL_CAP_DATA", (long)CaptureFlags.Data),
        ("TL_CAP_IF_OK", (long)CaptureFlags.IfOk),
        ("TL_CAP_NO_REREAD", (long)CaptureFlags.NoReread),
        ("TL_CAP_IF_ARG", (long)CaptureFlags.IfArg),
        ("TL_CAP_IF_ARG_IN", (long)CaptureFlags.IfArgIn),
        ("TL_CAP_STACK", (long)CaptureFlags.Stack),
        ("TL_STATE_VERSION", RecordLayout.StateVersion),
        ("TL_ORIGIN_FIRST_SYSCALL", (long)RecordingOrigin.FirstSyscall),
        ("TL_ORIGIN_ADOPTED", (long)RecordingOrigin.Adopted),
        ("TL_ORIGIN_LATE_RING", (long)RecordingOrigin.LateRing),
        ("TL_LEVEL_NO_PAYLOAD", (long)CaptureLevel.NoPayload),
        ("TL_LEVEL_NO_ARGV", (long)CaptureLevel.NoArgv),
        ("TL_OWNER_EXIT_STATUS", (long)SlotOwnerFlags.ExitStatus),
    ];

    private static readonly Lazy<Dictionary<string, long>> CLayout = new(CompileAndRun);

    [Fact]
    public void StructSizesMatchTheCHeader()
    {
        var mismatches = new List<string>();
        foreach ((string name, Type type) in Structs)
        {
            long c = CLayout.Value[$"sizeof {name}"];
            int marshal = Marshal.SizeOf(type);
            int managed = ManagedSize(type);
            if (c != marshal || c != managed)
            {
                mismatches.Add($"{name}: C {c}, Marshal.SizeOf {marshal}, Unsafe.SizeOf {managed}");
            }
        }
        Assert.Empty(mismatches);
        // The header is the documented 64 bytes, and records keep 8-byte alignment.
        Assert.Equal(RecordLayout.RingHeaderSize, CLayout.Value["sizeof tl_ring_hdr"]);
        Assert.Equal(RecordLayout.SubRingHeaderSize, CLayout.Value["sizeof tl_sub_hdr"]);
        // Only what lands in a ring needs it; tl_capture is an element of the captures map's value.
        Assert.All(Structs.Where(s => s.Struct != "tl_capture").Select(s => CLayout.Value[$"sizeof {s.Struct}"]), size => Assert.Equal(0, size % 8));
    }

    [Fact]
    public void FieldOffsetsMatchTheCHeader()
    {
        var mismatches = new List<string>();
        foreach ((string name, string cField, Type type, string field) in Fields)
        {
            long c = CLayout.Value[$"offsetof {name}.{cField}"];
            long cs = Marshal.OffsetOf(type, field).ToInt64();
            if (c != cs)
            {
                mismatches.Add($"{name}.{cField}: C {c}, C# {cs}");
            }
        }
        Assert.Empty(mismatches);
    }

    [Fact]
    public void FieldSizesMatchTheCHeader()
    {
        var mismatches = new List<string>();
        foreach ((string name, string cField, Type type, string field) in Fields)
        {
            long c = CLayout.Value[$"fieldsize {name}.{cField}"];
            Type fieldType = type.GetField(field)!.FieldType;
            long cs = fieldType.IsEnum ? Marshal.SizeOf(Enum.GetUnderlyingType(fieldType)) : Marshal.SizeOf(fieldType);
            if (c != cs)
            {
                mismatches.Add($"{name}.{cField}: C {c}, C# {cs}");
            }
        }
        Assert.Empty(mismatches);
    }

    [Fact]
    public void ConstantsMatchTheCHeader()
    {
        var mismatches = Constants
            .Where(k => CLayout.Value[$"const {k.Name}"] != k.Value)
            .Select(k => $"{k.Name}: C {CLayout.Value[$"const {k.Name}"]}, C# {k.Value}")
            .ToList();
        Assert.Empty(mismatches);
        Assert.Equal(CLayout.Value["const TL_NARGS"] * 8, CLayout.Value["fieldsize tl_enter.args"]);
    }

    [Fact]
    public void EveryFieldOfTheMirrorIsCompared()
    {
        foreach ((_, Type type) in Structs)
        {
            IEnumerable<string> declared = type.GetFields().Select(f => f.Name);
            IEnumerable<string> compared = Fields.Where(f => f.Type == type).Select(f => f.Field);
            Assert.Equal(declared.Order(StringComparer.Ordinal), compared.Order(StringComparer.Ordinal));
        }
    }

    private static int ManagedSize(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    private static Dictionary<string, long> CompileAndRun()
    {
        string repo = RepoRoot();
        string dir = Directory.CreateTempSubdirectory("traceloop-layout-").FullName;
        try
        {
            var c = new StringBuilder();
            c.AppendLine("#include <linux/types.h>");
            c.AppendLine("#include <stddef.h>");
            c.AppendLine("#include <stdio.h>");
            c.AppendLine("#include \"traceloop.h\"");
            c.AppendLine("#define FSIZE(t, f) sizeof(((struct t *)0)->f)");
            c.AppendLine("int main(void) {");
            foreach ((string name, _) in Structs)
            {
                c.AppendLine($"  printf(\"sizeof {name} %zu\\n\", sizeof(struct {name}));");
            }
            foreach ((string name, string cField, _, _) in Fields)
            {
                c.AppendLine($"  printf(\"offsetof {name}.{cField} %zu\\n\", offsetof(struct {name}, {cField}));");
                c.AppendLine($"  printf(\"fieldsize {name}.{cField} %zu\\n\", FSIZE({name}, {cField}));");
            }
            foreach (string constant in Constants.Select(k => k.Name).Append("TL_NARGS"))
            {
                c.AppendLine($"  printf(\"const {constant} %lld\\n\", (long long)({constant}));");
            }
            c.AppendLine("  return 0;");
            c.AppendLine("}");
            string source = Path.Combine(dir, "layout.c");
            string binary = Path.Combine(dir, "layout");
            File.WriteAllText(source, c.ToString());

            Run("gcc", ["-std=gnu11", "-Wall", "-Werror", "-I", Path.Combine(repo, "bpf"), "-o", binary, source]);
            string output = Run(binary, []);

            var values = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int space = line.LastIndexOf(' ');
                values.Add(line[..space], long.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
            }
            return values;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {stderr.Result}");
        }
        return stdout.Result;
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Traceloop.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Traceloop.sln above {AppContext.BaseDirectory}");
    }
}
