using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Agents;

/// <summary>A call to one agent failed; the message is the line for stderr.</summary>
internal sealed class AgentException(string message, AgentFailure failure, int? httpStatus = null, Exception? inner = null)
    : PluginException(message, ExitCode.Failed, inner)
{
    public AgentFailure Failure { get; } = failure;

    /// <summary>The recorder's HTTP status, for <see cref="AgentFailure.RecorderError"/>.</summary>
    public int? HttpStatus { get; } = httpStatus;
}
