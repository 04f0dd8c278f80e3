namespace Traceloop.Recorder.Tls;

/// <summary>
/// The TLS probing service: on or off (--tls), and when it looks at processes. Hosting sets
/// <see cref="Enabled"/> from the recorder's options; the timings are the service's own.
/// </summary>
internal sealed class TlsOptions
{
    /// <summary>Off: no exec notice is read, no process scanned, no probe attached.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// When a new program's process is scanned, after its exec notice: at once for what the
    /// kernel mapped at exec (the executable), then again as the dynamic loader maps libssl
    /// (milliseconds later), and once more for a slow start.
    /// </summary>
    public IReadOnlyList<TimeSpan> Rescans { get; set; } =
        [TimeSpan.Zero, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)];

    /// <summary>
    /// How often every process of every recorded container is scanned: catches libraries opened
    /// later (dlopen), processes older than the recorder, notices lost, and files to detach.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Why the service cannot run in this process (null: it can); a seam, so tests decide.</summary>
    public Func<string?> Unavailable { get; set; } = () => ProcessAccess.WhyNotReachable();
}
