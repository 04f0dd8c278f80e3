using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Traceloop.Recorder.Hosting;

/// <summary>
/// Kestrel's limits, set on purpose for an API that takes no request bodies and answers short
/// queries and dumps. The ones an operator may need to move are <see cref="RecorderOptions"/>;
/// the rest are fixed here with the reason.
/// </summary>
internal static class ApiLimits
{
    // No endpoint reads a body; a few bytes are tolerated for clients that send an empty JSON object.
    public const long MaxRequestBodySize = 1024;

    // The longest legitimate line is /pods/{63-byte namespace}/{253-byte pod}/dump?container=...&format=...&last=...
    public const int MaxRequestLineSize = 4096;

    // curl and the CLI send a handful of short headers; Kestrel's default is 32 KiB and 100 headers.
    public const int MaxRequestHeadersTotalSize = 8192;

    public const int MaxRequestHeaderCount = 32;

    // Idle connections hold a few KiB each; clients open a new one when they need it.
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    public static void Apply(KestrelServerOptions kestrel, RecorderOptions options)
    {
        kestrel.AddServerHeader = false;
        KestrelServerLimits limits = kestrel.Limits;
        limits.MaxConcurrentConnections = options.MaxConnections;
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.MaxRequestBodySize = MaxRequestBodySize;
        limits.MaxRequestLineSize = MaxRequestLineSize;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        // A reader slower than this is cut off, so a dump's ring copy is held for a bounded time.
        limits.MinResponseDataRate = new MinDataRate(options.MinResponseRateBytes, options.MinResponseRateGrace);
    }
}
