namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>One pods/exec the fake API server accepted, with the subprotocol it agreed and the command's exit code.</summary>
public sealed record ExecCall(string Namespace, string Pod, string Container, IReadOnlyList<string> Command, string Protocol)
{
    public int? ExitCode { get; internal set; }
}
