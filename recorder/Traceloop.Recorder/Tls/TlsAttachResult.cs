namespace Traceloop.Recorder.Tls;

/// <summary>The uprobes a file has after an attach: placed now, already there, or none with the reason (to be logged with the file).</summary>
internal sealed record TlsAttachResult(int Probes, bool WasAttached, string? FailureReason)
{
    public bool Succeeded => FailureReason is null;

    public static TlsAttachResult Failed(string reason) => new(0, false, reason);

    public static TlsAttachResult AlreadyAttached(int probes) => new(probes, true, null);
}
