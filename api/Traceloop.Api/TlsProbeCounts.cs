namespace Traceloop.Api;

/// <summary>
/// The TLS uprobes (part of <c>GET /version</c>; absent when the recorder runs with --tls off, and
/// from recorders before it was added).
/// </summary>
public sealed class TlsProbeCounts
{
    /// <summary>Library and program files probed now (each once, however many processes map it).</summary>
    public int FilesProbed { get; init; }

    /// <summary>Uprobes in place now, over all those files.</summary>
    public int Uprobes { get; init; }

    /// <summary>Since start: Go binaries whose crypto/tls could not be located with trust, so were left unprobed (each logged with its reason once while it runs, again if it runs again after a sweep found it gone).</summary>
    public long BinariesSkipped { get; init; }

    /// <summary>Since start: files whose probes the kernel refused (each logged with the reason).</summary>
    public long AttachFailures { get; init; }

    /// <summary>Exec notices lost (the kernel's ring was full, or the recorder fell behind): those processes wait for the next sweep.</summary>
    public long ExecNoticesDropped { get; init; }

    /// <summary>Why nothing is probed although TLS probing is on (a capability the recorder lacks); absent when it runs.</summary>
    public string? Unavailable { get; init; }
}
