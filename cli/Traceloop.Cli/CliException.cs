namespace Traceloop.Cli;

/// <summary>An expected failure: its message is the one line printed, its code the exit status.</summary>
internal sealed class CliException(string message, ExitCode code = ExitCode.Usage) : Exception(message)
{
    public ExitCode Code { get; } = code;
}
