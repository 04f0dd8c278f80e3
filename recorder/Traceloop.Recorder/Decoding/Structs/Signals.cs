using System.Numerics;
using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// The kernel's sigset_t (8 bytes on x86-64) and struct kernel_sigaction (handler, flags, restorer,
/// mask: 32 bytes): <c>[CHLD]</c>, <c>~[RTMIN RT_1]</c>, <c>[]</c>,
/// <c>{sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f...}</c>.
/// </summary>
/// <remarks>
/// Sets: rt_sigprocmask (argument 1 at entry, 2 at exit), rt_sigpending (0, exit), rt_sigsuspend
/// (0, entry), rt_sigtimedwait (0, entry); the size is the sigsetsize argument, and strace prints
/// the pointer unless it is 8. Actions: rt_sigaction (1 at entry, 2 at exit).
/// </remarks>
internal static class Signals
{
    public const int SigsetSize = 8;
    public const int SigactionSize = 32;

    /// <summary>
    /// Where rt_sigreturn's mask is, from the user stack pointer at its entry: the ucontext starts at sp
    /// (uc_flags 8, uc_link 8, uc_stack 24, uc_mcontext 256), then uc_sigmask.
    /// </summary>
    public const int FrameMaskOffset = 296;

    private const ulong SA_RESTORER = 0x04000000;
    private const int SIGRTMIN = 32;

    private static readonly NameTable ActionFlags = new(
        "SA_???",
        new(0x04000000, "SA_RESTORER"),
        new(0x08000000, "SA_ONSTACK"),
        new(0x10000000, "SA_RESTART"),
        new(0x20000000, "SA_INTERRUPT"),
        new(0x40000000, "SA_NODEFER"),
        new(0x80000000, "SA_RESETHAND"),
        new(0x4, "SA_SIGINFO"),
        new(0x1, "SA_NOCLDSTOP"),
        new(0x2, "SA_NOCLDWAIT"));

    /// <summary>
    /// A sigset_t of <paramref name="sigsetsize"/> bytes (the syscall's argument). False when strace would
    /// print the pointer: a size other than 8, or fewer bytes captured.
    /// </summary>
    public static bool TryAppendSigset(StringBuilder sb, ReadOnlySpan<byte> data, ulong sigsetsize = SigsetSize)
    {
        if (sigsetsize != SigsetSize || !Has(data, 0, SigsetSize))
        {
            return false;
        }
        AppendSigset(sb, U64(data, 0));
        return true;
    }

    /// <summary>stack_t: ss_sp, ss_flags (int, padded), ss_size.</summary>
    public const int StackSize = 24;

    private static readonly NameTable StackFlags = new(
        "SS_???",
        new(0x1, "SS_ONSTACK"),
        new(0x2, "SS_DISABLE"),
        new(0x80000000, "SS_AUTODISARM"));

    /// <summary>sigaltstack's stack_t (argument 0 at entry, 1 at exit): <c>{ss_sp=0x7ffe4802, ss_flags=0, ss_size=13504}</c>.</summary>
    public static bool TryAppendStack(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, StackSize))
        {
            return false;
        }
        sb.Append("{ss_sp=");
        FlagText.Address(sb, U64(data, 0));
        sb.Append(", ss_flags=");
        StackFlags.AppendFlags(sb, U32(data, 8));
        sb.Append(", ss_size=").Append(U64(data, 16)).Append('}');
        return true;
    }

    /// <summary>rt_sigreturn's argument as strace shows it: the mask its signal frame restores, <c>{mask=[USR1]}</c>.</summary>
    public static bool TryAppendFrame(StringBuilder sb, ReadOnlySpan<byte> mask)
    {
        if (!Has(mask, 0, SigsetSize))
        {
            return false;
        }
        sb.Append("{mask=");
        AppendSigset(sb, U64(mask, 0));
        sb.Append('}');
        return true;
    }

    /// <summary>
    /// strace's <c>sprintsigmask_n</c>: names without SIG, real-time signals as RTMIN and RT_n counted
    /// from the kernel's SIGRTMIN (32); with two thirds or more of the 64 bits set (42), the signals
    /// not in the set after a <c>~</c>.
    /// </summary>
    public static void AppendSigset(StringBuilder sb, ulong mask)
    {
        if (BitOperations.PopCount(mask) >= 42)
        {
            sb.Append('~');
            mask = ~mask;
        }
        sb.Append('[');
        bool first = true;
        while (mask != 0)
        {
            int signal = BitOperations.TrailingZeroCount(mask) + 1;
            mask &= mask - 1;
            if (!first)
            {
                sb.Append(' ');
            }
            first = false;
            if (signal < SIGRTMIN)
            {
                // Every name below 32 is SIG-something.
                sb.Append(SignalArguments.Name(signal)!.AsSpan(3));
            }
            else if (signal == SIGRTMIN)
            {
                sb.Append("RTMIN");
            }
            else
            {
                sb.Append("RT_").Append(signal - SIGRTMIN);
            }
        }
        sb.Append(']');
    }

    /// <summary>struct kernel_sigaction, the layout rt_sigaction takes on x86-64.</summary>
    public static bool TryAppendSigaction(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 8))
        {
            return false;
        }
        sb.Append("{sa_handler=");
        ulong handler = U64(data, 0);
        switch (handler)
        {
            case 0:
                sb.Append("SIG_DFL");
                break;
            case 1:
                sb.Append("SIG_IGN");
                break;
            case ulong.MaxValue:
                sb.Append("SIG_ERR");
                break;
            default:
                FlagText.Hex(sb, handler);
                break;
        }
        if (!Has(data, 24, 8))
        {
            return Cut(sb);
        }
        sb.Append(", sa_mask=");
        AppendSigset(sb, U64(data, 24));
        ulong flags = U64(data, 8);
        sb.Append(", sa_flags=");
        ActionFlags.AppendFlags(sb, flags);
        if ((flags & SA_RESTORER) != 0)
        {
            sb.Append(", sa_restorer=");
            FlagText.Address(sb, U64(data, 16));
        }
        sb.Append('}');
        return true;
    }
}
