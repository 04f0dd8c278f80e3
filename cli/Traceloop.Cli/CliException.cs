using Traceloop.Cli.Common;

namespace Traceloop.Cli;

/// <summary>An expected failure of the node CLI; without a code, the command line was at fault.</summary>
internal sealed class CliException(string message, ExitCode code = ExitCode.Usage) : CommandException(message, code);
