using System.Text;

namespace Kubectl.Traceloop.Exec;

/// <summary>
/// Sorts the messages of an exec stream by their channel byte into stdout, stderr and the
/// final status. Each stream is bounded so a misbehaving peer cannot exhaust memory.
/// </summary>
internal sealed class ExecOutput
{
    /// <summary>A whole ring's dump as JSON fits; far beyond what a node's recorder holds per container.</summary>
    public const int MaxStdoutBytes = 1 << 30;
    private const int MaxStderrBytes = 64 * 1024;
    private const int MaxStatusBytes = 64 * 1024;

    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly MemoryStream _status = new();

    public bool HasStatus => _status.Length > 0;

    /// <summary>Takes one whole WebSocket message: a channel byte, then that channel's bytes.</summary>
    public void Accept(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return;
        }
        ReadOnlySpan<byte> data = message[1..];
        switch (message[0])
        {
            case ExecChannel.Stdout:
                if (_stdout.Length + data.Length > MaxStdoutBytes)
                {
                    throw new ExecException($"the command's output exceeds {MaxStdoutBytes >> 20} MiB");
                }
                _stdout.Write(data);
                break;
            case ExecChannel.Stderr:
                // Past the bound the rest is dropped: the first lines carry the error.
                _stderr.Write(data[..Math.Min(data.Length, (int)Math.Max(0, MaxStderrBytes - _stderr.Length))]);
                break;
            case ExecChannel.Error:
                if (_status.Length + data.Length > MaxStatusBytes)
                {
                    throw new ExecException("the exec status is larger than 64 KiB");
                }
                _status.Write(data);
                break;
            case ExecChannel.Close:
            case ExecChannel.Stdin:
            case ExecChannel.Resize:
                // Readiness markers (empty messages) and half-closes: nothing to keep.
                break;
            default:
                throw new ExecException($"the exec stream used unknown channel {message[0]}");
        }
    }

    /// <summary>The result once the stream ended; without a status the command's fate is unknown.</summary>
    public ExecResult ToResult()
    {
        if (!HasStatus)
        {
            throw new ExecException("the exec stream ended without the command's exit status");
        }
        return new ExecResult(ExecStatus.ExitCode(_status.ToArray()), _stdout.ToArray(), Encoding.UTF8.GetString(_stderr.ToArray()));
    }
}
