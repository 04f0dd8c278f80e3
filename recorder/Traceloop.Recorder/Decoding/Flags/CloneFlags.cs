using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>clone's flags and argument layout, and the CLONE_NEW* namespaces of unshare and setns.</summary>
/// <remarks>
/// x86-64 passes clone's arguments as (flags, newsp, parent_tidptr, child_tidptr, tls). strace
/// prints them by name in another order, <c>child_stack</c> first and the pointers only when a
/// flag makes the kernel use them:
/// <c>clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f...)</c>.
/// </remarks>
internal static class CloneFlags
{
    public const int FlagsArg = 0;
    public const int StackArg = 1;
    public const int ParentTidArg = 2;
    public const int ChildTidArg = 3;
    public const int TlsArg = 4;

    private const ulong CSIGNAL = 0xff;
    private const ulong CLONE_PIDFD = 0x1000;
    private const ulong CLONE_SETTLS = 0x80000;
    private const ulong CLONE_PARENT_SETTID = 0x100000;
    private const ulong CLONE_CHILD_CLEARTID = 0x200000;
    private const ulong CLONE_CHILD_SETTID = 0x1000000;

    public static readonly NameTable Flags = new(
        "CLONE_???",
        new(0x100, "CLONE_VM"),
        new(0x200, "CLONE_FS"),
        new(0x400, "CLONE_FILES"),
        new(0x800, "CLONE_SIGHAND"),
        new(0x1000, "CLONE_PIDFD"),
        new(0x2000, "CLONE_PTRACE"),
        new(0x4000, "CLONE_VFORK"),
        new(0x8000, "CLONE_PARENT"),
        new(0x10000, "CLONE_THREAD"),
        new(0x20000, "CLONE_NEWNS"),
        new(0x40000, "CLONE_SYSVSEM"),
        new(0x80000, "CLONE_SETTLS"),
        new(0x100000, "CLONE_PARENT_SETTID"),
        new(0x200000, "CLONE_CHILD_CLEARTID"),
        new(0x800000, "CLONE_UNTRACED"),
        new(0x1000000, "CLONE_CHILD_SETTID"),
        new(0x2000000, "CLONE_NEWCGROUP"),
        new(0x4000000, "CLONE_NEWUTS"),
        new(0x8000000, "CLONE_NEWIPC"),
        new(0x10000000, "CLONE_NEWUSER"),
        new(0x20000000, "CLONE_NEWPID"),
        new(0x40000000, "CLONE_NEWNET"),
        new(0x80000000, "CLONE_IO"));

    /// <summary>unshare takes the low byte as flags too, where clone has its exit signal.</summary>
    private static readonly NameTable UnshareFlags = new(
        "CLONE_???",
        new(0x80, "CLONE_NEWTIME"),
        new(0x100, "CLONE_VM"),
        new(0x200, "CLONE_FS"),
        new(0x400, "CLONE_FILES"),
        new(0x800, "CLONE_SIGHAND"),
        new(0x10000, "CLONE_THREAD"),
        new(0x20000, "CLONE_NEWNS"),
        new(0x40000, "CLONE_SYSVSEM"),
        new(0x2000000, "CLONE_NEWCGROUP"),
        new(0x4000000, "CLONE_NEWUTS"),
        new(0x8000000, "CLONE_NEWIPC"),
        new(0x10000000, "CLONE_NEWUSER"),
        new(0x20000000, "CLONE_NEWPID"),
        new(0x40000000, "CLONE_NEWNET"));

    private static readonly NameTable Namespaces = new(
        "CLONE_NEW???",
        new(0x80, "CLONE_NEWTIME"),
        new(0x20000, "CLONE_NEWNS"),
        new(0x2000000, "CLONE_NEWCGROUP"),
        new(0x4000000, "CLONE_NEWUTS"),
        new(0x8000000, "CLONE_NEWIPC"),
        new(0x10000000, "CLONE_NEWUSER"),
        new(0x20000000, "CLONE_NEWPID"),
        new(0x40000000, "CLONE_NEWNET"));

    /// <summary>
    /// The flags with the exit signal in the low byte last: <c>CLONE_VM|CLONE_FS|SIGCHLD</c>.
    /// The kernel's clone takes an unsigned long; strace prints all 64 bits.
    /// </summary>
    public static void AppendCloneFlags(StringBuilder sb, ulong flags)
    {
        ulong signal = flags & CSIGNAL;
        flags &= ~CSIGNAL;
        if (flags != 0)
        {
            // Unknown bits alone get strace's comment, unless a signal follows them.
            Flags.AppendFlags(sb, flags, comment: signal == 0);
            if (signal != 0)
            {
                sb.Append('|');
            }
        }
        if (signal != 0 || flags == 0)
        {
            SignalArguments.AppendSignal(sb, (long)signal);
        }
    }

    /// <summary>The order strace prints clone's arguments in, as register indices.</summary>
    public static int PrintOrder(ReadOnlySpan<ulong> args, Span<int> order)
    {
        ulong flags = args[FlagsArg];
        int n = 0;
        order[n++] = StackArg;
        order[n++] = FlagsArg;
        if ((flags & (CLONE_PARENT_SETTID | CLONE_PIDFD)) != 0)
        {
            order[n++] = ParentTidArg;
        }
        if ((flags & CLONE_SETTLS) != 0)
        {
            order[n++] = TlsArg;
        }
        if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) != 0)
        {
            order[n++] = ChildTidArg;
        }
        return n;
    }

    internal static void Register(DecoderRegistry r)
    {
        r.For("clone")
            .Arg(FlagsArg, static (sb, a) =>
            {
                sb.Append("flags=");
                AppendCloneFlags(sb, a[FlagsArg]);
            })
            .Arg(StackArg, static (sb, a) => FlagText.Address(sb.Append("child_stack="), a[StackArg]))
            .Arg(ParentTidArg, static (sb, a) => FlagText.Address(sb.Append("parent_tid="), a[ParentTidArg]))
            .Arg(ChildTidArg, static (sb, a) => FlagText.Address(sb.Append("child_tidptr="), a[ChildTidArg]))
            .Arg(TlsArg, static (sb, a) => FlagText.Address(sb.Append("tls="), a[TlsArg]))
            .Printed(PrintOrder);
        r.For("unshare").Arg(0, static (sb, a) => UnshareFlags.AppendFlags(sb, a[0]));
        r.For("setns").Arg(1, static (sb, a) => Namespaces.AppendFlags(sb, a[1] & 0xffffffff));
    }
}
