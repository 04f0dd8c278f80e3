namespace Traceloop.Recorder.Crashes;

/// <summary>
/// Crash collection: which endings keep a dump, how many are kept, and how loudly they are
/// announced. Bound like the recorder's own options (config file, TRACELOOP_* variables,
/// command line); see README's "Crash collection" options.
/// </summary>
internal sealed class CrashOptions
{
    /// <summary>Keep a dump when a container's main process exits with a non-zero code.</summary>
    public bool DumpOnExit { get; set; } = true;

    /// <summary>Keep a dump when a container's main process is killed by a signal.</summary>
    public bool DumpOnSignal { get; set; } = true;

    /// <summary>Keep a dump when the OOM killer chooses a process of a container.</summary>
    public bool DumpOnOom { get; set; } = true;

    /// <summary>Keep a dump when a fatal signal (SIGSEGV, SIGBUS, SIGABRT, ...) is delivered, even if the process handles it.</summary>
    public bool DumpOnFatalSignal { get; set; }

    /// <summary>Syscall failures that keep a dump, "syscall:ERRNO" separated by commas (connect:ECONNREFUSED). Empty: none.</summary>
    public string WatchSyscallErrors { get; set; } = "";

    /// <summary>Dumps kept per container (a Kubernetes container across its restarts), oldest out first.</summary>
    public int DumpsPerContainer { get; set; } = 10;

    /// <summary>Bytes all saved dumps may take together; suffixes K, M, G.</summary>
    public string DumpsMaxBytes { get; set; } = "1G";

    /// <summary>Free space the data directory's file system must keep: below it nothing is written.</summary>
    public string DumpsMinFreeBytes { get; set; } = "512M";

    /// <summary>At most one Kubernetes Event per container in this interval; the ones in between are counted in the next.</summary>
    public TimeSpan DumpEventInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>At most one fatal-signal or syscall-error dump per container in this interval.</summary>
    public TimeSpan TriggerCooldown { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long to wait for the kubelet to report a dumped container's termination.</summary>
    public TimeSpan KubeletReportTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public long DumpsMaxBytesValue => ByteSize.Parse(DumpsMaxBytes) ?? -1;

    public long DumpsMinFreeBytesValue => ByteSize.Parse(DumpsMinFreeBytes) ?? -1;
}
