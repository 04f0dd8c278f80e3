namespace Traceloop.Cli.Common;

/// <summary>
/// How a command ended. The node CLI exits with the number itself, which scripts and the kubectl
/// plugin's exec bridge rely on; the plugin folds it into its own four documented statuses
/// (<see cref="ExitCodes.ToPluginStatus"/>).
/// </summary>
public enum ExitCode
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

    /// <summary>
    /// The plugin only: a cluster-wide command printed what it got, but at least one node's agent
    /// did not answer. The output is usable but incomplete.
    /// </summary>
    Partial = 5,

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    Interrupted = 130,
}

/// <summary>The process exit statuses each CLI documents for an <see cref="ExitCode"/>.</summary>
public static class ExitCodes
{
    /// <summary>The node CLI's status: the code's own number.</summary>
    public static int ToNodeStatus(this ExitCode code) => (int)code;

    /// <summary>
    /// The kubectl plugin's status, as its help text states: 0 success, 1 usage, 2 failure,
    /// 3 partial. Whatever else went wrong, unreachable agents included, is a failure.
    /// </summary>
    public static int ToPluginStatus(this ExitCode code) => code switch
    {
        ExitCode.Success => 0,
        ExitCode.Usage => 1,
        ExitCode.Partial => 3,
        _ => 2,
    };
}
