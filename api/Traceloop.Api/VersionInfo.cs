namespace Traceloop.Api;

/// <summary>The body of <c>GET /version</c>.</summary>
public sealed class VersionInfo
{
    public required string Version { get; init; }

    public int DumpFormatVersion { get; init; }

    public required string Kernel { get; init; }

    public IReadOnlyList<string> Programs { get; init; } = [];

    /// <summary>The TLS uprobes; absent when TLS probing is off.</summary>
    public TlsProbeCounts? Tls { get; init; }
}
