using System.Globalization;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Metrics;

namespace Traceloop.Recorder.Hosting;

/// <summary>
/// The text of <c>traceloop-recorder --help</c>. Every "(default ...)" is read from a default
/// instance of <see cref="RecorderOptions"/>, <see cref="CrashOptions"/> or <see cref="MetricsOptions"/>, so a default is
/// written once, in its option class.
/// </summary>
internal static class RecorderHelp
{
    public static string Text => Build(new RecorderOptions(), new CrashOptions(), new MetricsOptions());

    internal static string Build(RecorderOptions o, CrashOptions c, MetricsOptions? m = null) => $"""
        traceloop-recorder: records every syscall of every container on this host into per-container
        kernel ring buffers, and serves them over HTTP on a Unix socket.

        Options (also TRACELOOP_<NAME> environment variables, or a JSON config file):
          --socket PATH          Unix socket of the API               (default {o.SocketPath})
          --data-dir DIR         where crash dumps are kept           (default {o.DataDir})
          --ring-size SIZE       ring per container, 64K..2M          (default {o.RingSize})
          --max-containers N     containers with a ring at once       (default {Number(o.MaxContainers)})
          --grace-period SPAN    how long ended containers stay       (default {Span(o.GracePeriod)})
          --spare-rings N        rings made ahead for new containers  (default {Number(o.SpareRings)})
          --max-string BYTES     bytes kept of a path argument        (default {Number(o.MaxStringBytes)})
          --max-bytes BYTES      bytes kept of a data buffer          (default {Number(o.MaxDataBytes)})
          --max-tls-bytes BYTES  bytes kept of TLS plaintext          (default {(o.MaxTlsBytes is { } tls ? Number(tls) : "as --max-bytes")})
          --max-argv N           execve arguments kept                (default {Number(o.MaxArgv)})
          --tls on|off           record TLS plaintext of OpenSSL and Go crypto/tls with
                                 uprobes (docs/TLS.md)                (default {o.Tls})
          --redact REGEX         replace matches in captured strings, argv, buffers and
                                 command names by <redacted> (repeatable; default none)
          --socket-mode MODE     socket permission bits               (default {o.SocketMode})
          --socket-group NAME    group given the socket, if it exists (default {o.SocketGroup})
          --cgroup-hierarchy H   auto, unified, or a v1 controller    (default {o.CgroupHierarchy}{(o.CgroupHierarchy == "auto" ? ": v2 if mounted" : "")})
          --max-dumps N          dumps served or saved at once        (default {Number(o.MaxConcurrentDumps)})
          --dump-queue N         dump requests waiting, then 503      (default {Number(o.DumpQueue)})
          --min-response-rate SIZE  bytes a second a reader must take (default {o.MinResponseRate})
          --min-response-grace SPAN before a slower reader is cut off (default {Span(o.MinResponseRateGrace)})
          --max-connections N    API connections at once              (default {Number(o.MaxConnections)})
          --pin-dir DIR          bpffs dir where recording outlives restarts (default {o.PinDir}; "" for none)
          --reset                discard the pinned recording at start, do not take it over
          --uninstall            discard the pinned recording (its programs detach) and exit
          --cluster-address ADDR host:port (or :port) where the cluster gateway calls, over
                                 mutual TLS                           (default: none, no TCP listener)
          --cluster-tls-dir DIR  tls.crt, tls.key, ca.crt for it; only a client certificate
                                 from that CA naming {ClusterEndpoint.GatewayIdentity} is accepted
          --kubeconfig FILE      use this cluster for pod names       (default: in-cluster config, else KUBECONFIG, else none)
          --node-name NAME       this node's name in the cluster      (default: NODE_NAME)
          --namespaces A,B       record only pods in these namespaces (default: all)
          --exclude-namespaces A,B  never record pods in these namespaces
          --selector LABELS      record only pods matching (app=web,tier!=db)
          --config FILE          JSON file with the settings above    (default {RecorderOptions.DefaultConfigFile})

        Kernel memory: a container's ring is --ring-size in all, split into one part per CPU (a power
        of two, at most {Number(RingGeometry.MaxSubRings(RingSizeOrMin(o)))} parts of 64K or more for {o.RingSize}), so threads on different CPUs write to
        different places (CPUs beyond the part count share); each part adds 4K of overhang. A ring pins at most {Mib(RingGeometry.MaxKernelBytes(RingSizeOrMin(o)))} MiB and
        the node at most {Mib(RingGeometry.MaxKernelBytes(RingSizeOrMin(o)) * o.MaxContainers)} MiB (--max-containers rings), on any CPU count. A thread that
        keeps to one CPU fills only its part, so its history is --ring-size / parts deep; a dump
        merges the parts by time and says from when it is complete if some part wrapped first.

        Crash collection (dumps kept under DIR/dumps, listed by GET /dumps):
          --dump-on-exit BOOL        main process exits non-zero      (default {Bool(c.DumpOnExit)})
          --dump-on-signal BOOL      main process killed by a signal  (default {Bool(c.DumpOnSignal)})
          --dump-on-oom BOOL         OOM killer chose a process       (default {Bool(c.DumpOnOom)})
          --dump-on-fatal-signal BOOL  SIGSEGV/SIGBUS/... delivered, even if handled (default {Bool(c.DumpOnFatalSignal)})
          --watch-syscall-errors L   syscall:ERRNO,... failures that keep a dump (default {(c.WatchSyscallErrors.Length == 0 ? "none" : c.WatchSyscallErrors)}; e.g. connect:ECONNREFUSED)
          --dumps-per-container N    dumps kept per container         (default {Number(c.DumpsPerContainer)})
          --dumps-max-bytes SIZE     all dumps together, at most      (default {c.DumpsMaxBytes})
          --dumps-min-free SIZE      free disk below which none is written (default {c.DumpsMinFreeBytes})
          --dump-event-interval SPAN at most one Kubernetes Event per container per SPAN (default {Span(c.DumpEventInterval)})
          --trigger-cooldown SPAN    at most one fatal-signal/syscall-error dump per container per SPAN (default {Span(c.TriggerCooldown)})

        Metrics (docs/METRICS.md; GET /metrics on the socket):
          --metrics on|off           count syscalls, errors and latency per container in the kernel (default {(m ?? new MetricsOptions()).Metrics})
          --metrics-address [HOST]:PORT  also serve GET /metrics, and only that, over plain HTTP (default: no TCP listener)
          --metrics-series N         syscall series of all containers together, 216 bytes each per CPU (default {MetricsOptions.SeriesPerContainer} per container: {Number((m ?? new MetricsOptions()).SeriesFor(o.MaxContainers))})
        """;

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>The configured ring size, or the smallest allowed when the setting is invalid (validation reports it).</summary>
    private static int RingSizeOrMin(RecorderOptions o) =>
        o.RingSizeBytes is > 0 and var size && (size & (size - 1)) == 0 ? size : RecorderOptionsValidator.MinRingSize;

    private static string Span(TimeSpan span) => span.ToString("c", CultureInfo.InvariantCulture);

    private static string Bool(bool b) => b ? "true" : "false";
}
