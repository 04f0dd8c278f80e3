namespace Traceloop.Cli.Common;

/// <summary>An expected failure: its message is the one line printed on stderr, its code the exit status.</summary>
public class CommandException(string message, ExitCode exitCode, Exception? inner = null) : Exception(message, inner)
{
    public ExitCode ExitCode { get; } = exitCode;
}
