using System.Runtime.InteropServices;

namespace Traceloop.Recorder.Bpf;

/// <summary>
/// A kernel or libbpf call failed. The message is one sentence a person can act on;
/// <see cref="Errno"/> keeps the raw error for code.
/// </summary>
internal sealed class BpfException : Exception
{
    public BpfException(string message, int errno, Exception? inner = null) : base(message, inner)
    {
        Errno = errno;
    }

    public int Errno { get; }

    /// <summary>Builds "&lt;action&gt; failed: &lt;reason&gt;[; &lt;advice&gt;]" from an errno.</summary>
    public static BpfException FromErrno(string action, int errno, string? detail = null, string? advice = null)
    {
        errno = Math.Abs(errno);
        string reason = errno switch
        {
            1 => "operation not permitted",
            2 => "not found",
            7 => "argument list too long",
            12 => "out of memory",
            13 => "permission denied",
            16 => "busy",
            22 => "invalid argument",
            28 => "no space left",
            38 => "not implemented by this kernel",
            95 => "not supported by this kernel",
            _ => Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant(),
        };
        string generalAdvice = errno switch
        {
            1 or 13 => "; run as root or grant CAP_BPF and CAP_PERFMON",
            7 or 12 => "; lower --ring-size or --max-containers, or raise the memory limit of the recorder's cgroup (BPF maps are charged to it)",
            22 or 38 or 95 => "; the kernel may lack BTF or a needed feature (Linux 5.19+ with CONFIG_DEBUG_INFO_BTF)",
            _ => "",
        };
        string text = $"{action} failed: {reason}{(advice is null ? generalAdvice : "; " + advice)}";
        if (!string.IsNullOrEmpty(detail))
        {
            text += $" ({detail})";
        }
        return new BpfException(text, errno);
    }
}
