namespace Kubectl.Traceloop.Exec;

/// <summary>What a command run in a pod left: its exit code and its two output streams.</summary>
internal sealed record ExecResult(int ExitCode, byte[] Stdout, string Stderr);
