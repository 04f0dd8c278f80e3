namespace Traceloop.Api;

/// <summary>Where the recorder serves its API and the clients look for it, unless told otherwise.</summary>
public static class TraceloopSocket
{
    /// <summary>The default Unix socket path, the same for the recorder and every client.</summary>
    public const string DefaultPath = "/run/traceloop/traceloop.sock";
}
