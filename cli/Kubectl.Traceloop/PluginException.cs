namespace Kubectl.Traceloop;

/// <summary>A failure the user can act on: its message is the one line printed on stderr.</summary>
internal class PluginException(string message, PluginExitCode exitCode = PluginExitCode.Failed, Exception? inner = null)
    : Exception(message, inner)
{
    public PluginExitCode ExitCode { get; } = exitCode;
}
