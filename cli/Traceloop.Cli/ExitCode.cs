namespace Traceloop.Cli;

/// <summary>What the process exit status means; scripts and the kubectl plugin's exec bridge rely on it.</summary>
internal enum ExitCode
{
    Success = 0,

    /// <summary>Bad arguments: the command line cannot be carried out as written.</summary>
    Usage = 1,

    /// <summary>The recorder's socket could not be reached (missing, refused, permission denied, no answer).</summary>
    Unreachable = 2,

    /// <summary>The recorder answered with an HTTP error (unknown container, bad request, ...).</summary>
    ApiError = 3,

    /// <summary>The answer could not be used: a malformed dump, or the output could not be written.</summary>
    Failed = 4,

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    Interrupted = 130,
}
