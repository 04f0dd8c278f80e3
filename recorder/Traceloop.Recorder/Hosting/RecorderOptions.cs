
namespace Traceloop.Recorder.Hosting;

/// <summary>
/// Everything an operator can set, with its default. Bound from (later wins) the defaults here,
/// /etc/traceloop/config.json or --config FILE, TRACELOOP_* environment variables, and the
/// command line (--socket, --data-dir, --ring-size, --max-containers, --grace-period, ...).
/// </summary>
internal sealed class RecorderOptions
{
    /// <summary>The JSON config file read when neither --config nor TRACELOOP_CONFIG names one.</summary>
    public const string DefaultConfigFile = "/etc/traceloop/config.json";

    /// <summary>The Unix socket the HTTP API listens on.</summary>
    public string SocketPath { get; set; } = Traceloop.Api.TraceloopSocket.DefaultPath;

    /// <summary>
    /// Where the cluster gateway reaches this agent ("host:port", or ":port" for every address),
    /// over mutual TLS with the files in <see cref="ClusterTlsDir"/>. Empty (the default): no TCP
    /// listener at all, only the Unix socket.
    /// </summary>
    public string ClusterAddress { get; set; } = "";

    /// <summary>tls.crt, tls.key and ca.crt for <see cref="ClusterAddress"/>, re-read when they change.</summary>
    public string ClusterTlsDir { get; set; } = "";

    /// <summary>Where crash dumps are kept.</summary>
    public string DataDir { get; set; } = "/var/lib/traceloop";

    /// <summary>Bytes of each container's ring, a power of two from 64K to 2M; suffixes K and M.</summary>
    public string RingSize { get; set; } = "1M";

    /// <summary>Containers with a ring at once, live and ended within the grace period.</summary>
    public int MaxContainers { get; set; } = 128;

    /// <summary>How long an ended container's history stays dumpable.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Rings made ahead of need, so the kernel can serve starting containers without waiting.</summary>
    public int SpareRings { get; set; } = 4;

    /// <summary>Bytes of a path or string argument kept per syscall.</summary>
    public int MaxStringBytes { get; set; } = 256;

    /// <summary>Bytes kept of a data buffer (read, write, send, recv), as strace -s.</summary>
    public int MaxDataBytes { get; set; } = 64;

    /// <summary>
    /// Bytes of plaintext kept per TLS record (SSL_write, Go's Write...), independent of
    /// <see cref="MaxDataBytes"/>: a request line and its headers are worth more than the first
    /// bytes of ciphertext. Unset: the same as <see cref="MaxDataBytes"/>.
    /// </summary>
    public int? MaxTlsBytes { get; set; }

    /// <summary>The TLS plaintext limit in effect: <see cref="MaxTlsBytes"/>, or <see cref="MaxDataBytes"/> when unset.</summary>
    public int MaxTlsBytesValue => MaxTlsBytes ?? MaxDataBytes;

    /// <summary>execve arguments kept.</summary>
    public int MaxArgv { get; set; } = 16;

    /// <summary>
    /// Which cgroup hierarchy tells containers apart: "auto" (cgroup v2 when mounted, else the
    /// v1 memory, pids or cpu hierarchy), "unified" (v2 only), or a v1 controller name.
    /// </summary>
    public string CgroupHierarchy { get; set; } = "auto";

    /// <summary>Permission bits of the socket file (octal).</summary>
    public string SocketMode { get; set; } = "0660";

    /// <summary>Group given the socket file when it exists, so its members can use the API without root.</summary>
    public string SocketGroup { get; set; } = "traceloop";

    /// <summary>
    /// Dumps served or saved at once over the API (live and saved dump GETs, snapshots). Each holds a
    /// copy of its rings while it is written, so this times the ring size bounds their memory.
    /// </summary>
    public int MaxConcurrentDumps { get; set; } = 4;

    /// <summary>Dump requests that wait for one of those places; beyond them a request is answered 503 with Retry-After.</summary>
    public int DumpQueue { get; set; } = 16;

    /// <summary>Bytes a second a reader must take a response at, after the grace period; a slower one is cut off. Suffixes K and M.</summary>
    public string MinResponseRate { get; set; } = "16K";

    /// <summary>How long a response may go slower than <see cref="MinResponseRate"/> before the reader is cut off.</summary>
    public TimeSpan MinResponseRateGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections to the API at once; more are closed as they arrive.</summary>
    public int MaxConnections { get; set; } = 64;

    /// <summary>
    /// The bpffs directory where the programs, maps and rings are pinned so recording goes on while
    /// the recorder restarts, and a restarted recorder takes every container's history over.
    /// Empty: nothing is pinned, and recording ends with the process.
    /// </summary>
    public string PinDir { get; set; } = Traceloop.Recorder.Bpf.KernelPins.DefaultDirectory;

    /// <summary>Discard the pinned recording at start instead of taking it over.</summary>
    public bool Reset { get; set; }

    /// <summary>Discard the pinned recording (its programs detach, its rings are freed) and exit: the last step of an uninstall.</summary>
    public bool Uninstall { get; set; }

    /// <summary>
    /// Regular expressions whose matches in captured strings, argv elements, data buffers and
    /// command names are replaced by &lt;redacted&gt; before any dump is written or saved (see
    /// Dumps/Redactor). --redact adds one (repeatable); the config file's "Redact" is a list.
    /// </summary>
    public string[] Redact { get; set; } = [];

    /// <summary>
    /// "on": uprobes on the OpenSSL and Go crypto/tls code that recorded containers run, so their
    /// TLS plaintext is recorded beside the syscalls (docs/TLS.md); "off": no process is scanned
    /// and nothing is probed.
    /// </summary>
    public string Tls { get; set; } = "on";

    public bool TlsEnabled => string.Equals(Tls, "on", StringComparison.OrdinalIgnoreCase);

    public int RingSizeBytes => ParseSize(RingSize) ?? -1;

    public int MinResponseRateBytes => ParseSize(MinResponseRate) ?? -1;

    /// <summary>A size that fits an int (ring sizes): "1M", "256K", "65536".</summary>
    public static int? ParseSize(string text) => ByteSize.ParseInt(text);
}
