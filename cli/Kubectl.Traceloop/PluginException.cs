using Traceloop.Cli.Common;

namespace Kubectl.Traceloop;

/// <summary>A failure the user can act on: its message is the one line printed on stderr; without a code, a plain failure.</summary>
internal class PluginException(string message, ExitCode exitCode = ExitCode.Failed, Exception? inner = null)
    : CommandException(message, exitCode, inner);
