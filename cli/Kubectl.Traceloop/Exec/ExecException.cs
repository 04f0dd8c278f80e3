using System.Net;

namespace Kubectl.Traceloop.Exec;

/// <summary>
/// The exec did not run the command: the upgrade was refused (<see cref="Status"/> is the HTTP
/// status, <see cref="Message"/> the API server's Status message), the connection failed
/// (no status), or the runtime could not start the command (a Failure status on channel 3).
/// </summary>
internal sealed class ExecException(string message, HttpStatusCode? status = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
}
