using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>Signal numbers as syscall arguments (kill, tgkill, rt_sigaction...) and rt_sigprocmask's how.</summary>
/// <remarks>
/// strace 6.1 counts real-time signals from the kernel's SIGRTMIN (32), not glibc's (34):
/// 32 is <c>SIGRTMIN</c>, 33 <c>SIGRT_1</c>, 34 <c>SIGRT_2</c>, up to 64 <c>SIGRT_32</c>
/// (checked with <c>strace -e trace=kill</c> on kill(0, 32..64)). <see cref="SignalNames"/>, which
/// the process-exit line uses, counts from 34; the names here follow strace.
/// </remarks>
internal static class SignalArguments
{
    private const int SIGRTMIN = 32;
    private const int SIGRTMAX = 64;

    private static readonly string[] Names = BuildNames();

    private static readonly NameTable MaskActions = new(
        "SIG_???",
        new(0, "SIG_BLOCK"),
        new(1, "SIG_UNBLOCK"),
        new(2, "SIG_SETMASK"));

    /// <summary>The signal's name, or null for 0 and numbers beyond SIGRT_32.</summary>
    public static string? Name(long signal) => signal is > 0 and <= SIGRTMAX ? Names[signal] : null;

    /// <summary>A signal by name, or its number in decimal (<c>0</c>, <c>65</c>, <c>-1</c>). Only the low 32 bits count, as for the kernel's int.</summary>
    public static void AppendSignal(StringBuilder sb, long raw)
    {
        int signal = (int)raw;
        if (Name(signal) is { } name)
        {
            sb.Append(name);
        }
        else
        {
            sb.Append(signal);
        }
    }

    public static void AppendMaskAction(StringBuilder sb, ulong how) => MaskActions.AppendValue(sb, how & 0xffffffff);

    private static string[] BuildNames()
    {
        var names = new string[SIGRTMAX + 1];
        for (int i = 0; i <= SIGRTMAX; i++)
        {
            names[i] = SignalNames.Name(i);
        }
        return names;
    }

    internal static void Register(DecoderRegistry r)
    {
        // strace shows the mask rt_sigreturn restores as its one argument; the kernel copies it from
        // the frame on the stack (Structs/Signals.FrameMaskOffset). Without that copy the mask is unknown.
        r.For("rt_sigreturn")
            .Arg(0, static (sb, a) => sb.Append("{mask=???}"))
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, 1));
        r.For("kill").Arg(1, static (sb, a) => AppendSignal(sb, (long)a[1]));
        r.For("tkill").Arg(1, static (sb, a) => AppendSignal(sb, (long)a[1]));
        r.For("tgkill").Arg(2, static (sb, a) => AppendSignal(sb, (long)a[2]));
        r.For("rt_sigaction").Arg(0, static (sb, a) => AppendSignal(sb, (long)a[0]));
        r.For("rt_sigqueueinfo").Arg(1, static (sb, a) => AppendSignal(sb, (long)a[1]));
        r.For("rt_tgsigqueueinfo").Arg(2, static (sb, a) => AppendSignal(sb, (long)a[2]));
        r.For("pidfd_send_signal").Arg(1, static (sb, a) => AppendSignal(sb, (long)a[1]));
        r.For("rt_sigprocmask").Arg(0, static (sb, a) => AppendMaskAction(sb, a[0]));
    }
}
