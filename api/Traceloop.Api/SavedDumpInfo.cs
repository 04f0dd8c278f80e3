using MessagePack;

namespace Traceloop.Api;

/// <summary>A dump kept on disk, as <c>GET /dumps</c> lists it.</summary>
[MessagePackObject]
public sealed class SavedDumpInfo
{
    /// <summary>Opaque, URL-safe and unique on the node; sorts by time taken.</summary>
    [Key(0)] public required string Id { get; init; }

    /// <summary>The container as it was when the dump was taken (null when the file is corrupt).</summary>
    [Key(1)] public ContainerInfo? Container { get; init; }

    /// <summary>Null when the file is corrupt.</summary>
    [Key(2)] public DumpTrigger? Trigger { get; init; }

    [Key(3)] public DateTimeOffset TakenAt { get; init; }

    /// <summary>Events the dump holds.</summary>
    [Key(4)] public int Events { get; init; }

    /// <summary>Records lost before the dump's window.</summary>
    [Key(5)] public long EventsLost { get; init; }

    /// <summary>Size of the file on disk (compressed).</summary>
    [Key(6)] public long SizeBytes { get; init; }

    /// <summary>True when the file could not be read; <see cref="Error"/> says why.</summary>
    [Key(7)] public bool Corrupt { get; init; }

    [Key(8)] public string? Error { get; init; }

    [Key(9)] public string? Node { get; init; }

    /// <summary>The Traceloop version that wrote the dump.</summary>
    [Key(10)] public string? TraceloopVersion { get; init; }
}

/// <summary>The filters of <c>GET /dumps</c>; null means any.</summary>
public sealed record SavedDumpQuery(
    string? Namespace = null,
    string? Pod = null,
    string? Container = null,
    string? Trigger = null,
    DateTimeOffset? Since = null);
