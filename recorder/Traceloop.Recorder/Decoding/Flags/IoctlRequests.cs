using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>ioctl requests on terminals and files (TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO...) and their third argument.</summary>
/// <remarks>
/// strace does not look at what the fd is, so a number two drivers share prints as both names:
/// 0x5402 is <c>SNDCTL_TMR_START or TCSETS</c> even on a terminal. A request not in the table is
/// spelled out as <c>_IOC(dir, type, nr, size)</c>, as strace does for a request it does not
/// know; strace knows many more (sound, block, network, DRM...), which print here in that form.
/// </remarks>
internal static class IoctlRequests
{
    #pragma warning disable IDE1006 // the C names of <asm-generic/ioctl.h>
    private const ulong _IOC_WRITE = 1;
    private const ulong _IOC_READ = 2;
    #pragma warning restore IDE1006

    private enum ArgKind : byte
    {
        Pointer,
        Int,
        None,
        Hex,
        FlowAction,
        FlushQueue,
    }

    private readonly record struct Request(uint Code, string Name, ArgKind Arg);

    private static readonly Request[] Requests =
    [
        new(0x1, "FIBMAP", ArgKind.Hex),
        new(0x2, "FIGETBSZ", ArgKind.Hex),
        new(0x80086601, "FS_IOC_GETFLAGS", ArgKind.Hex),
        new(0x40086602, "FS_IOC_SETFLAGS", ArgKind.Hex),
        new(0xc0045401, "SNDCTL_TMR_TIMEBASE", ArgKind.Hex),
        new(0x5401, "TCGETS", ArgKind.Pointer),
        new(0x5402, "SNDCTL_TMR_START or TCSETS", ArgKind.Pointer),
        new(0x5403, "SNDCTL_TMR_STOP or TCSETSW", ArgKind.Pointer),
        new(0x5404, "SNDCTL_TMR_CONTINUE or TCSETSF", ArgKind.Pointer),
        new(0x5405, "TCGETA", ArgKind.Pointer),
        new(0x5406, "TCSETA", ArgKind.Pointer),
        new(0x5407, "TCSETAW", ArgKind.Pointer),
        new(0x5408, "TCSETAF", ArgKind.Pointer),
        new(0x5409, "TCSBRK", ArgKind.Int),
        new(0x540a, "TCXONC", ArgKind.FlowAction),
        new(0x540b, "TCFLSH", ArgKind.FlushQueue),
        new(0x540c, "TIOCEXCL", ArgKind.None),
        new(0x540d, "TIOCNXCL", ArgKind.None),
        new(0x540e, "TIOCSCTTY", ArgKind.Int),
        new(0x540f, "TIOCGPGRP", ArgKind.Pointer),
        new(0x5410, "TIOCSPGRP", ArgKind.Pointer),
        new(0x5411, "TIOCOUTQ", ArgKind.Pointer),
        new(0x5412, "TIOCSTI", ArgKind.Pointer),
        new(0x5413, "TIOCGWINSZ", ArgKind.Pointer),
        new(0x5414, "TIOCSWINSZ", ArgKind.Pointer),
        new(0x5415, "TIOCMGET", ArgKind.Pointer),
        new(0x5416, "TIOCMBIS", ArgKind.Pointer),
        new(0x5417, "TIOCMBIC", ArgKind.Pointer),
        new(0x5418, "TIOCMSET", ArgKind.Pointer),
        new(0x5419, "TIOCGSOFTCAR", ArgKind.Pointer),
        new(0x541a, "TIOCSSOFTCAR", ArgKind.Pointer),
        new(0x541b, "FIONREAD", ArgKind.Pointer),
        new(0x541c, "TIOCLINUX", ArgKind.Pointer),
        new(0x541d, "TIOCCONS", ArgKind.None),
        new(0x541e, "TIOCGSERIAL", ArgKind.Pointer),
        new(0x541f, "TIOCSSERIAL", ArgKind.None),
        new(0x5420, "TIOCPKT", ArgKind.Pointer),
        new(0x5421, "FIONBIO", ArgKind.Pointer),
        new(0x5422, "TIOCNOTTY", ArgKind.None),
        new(0x5423, "TIOCSETD", ArgKind.Pointer),
        new(0x5424, "TIOCGETD", ArgKind.Pointer),
        new(0x5425, "TCSBRKP", ArgKind.Int),
        new(0x5427, "TIOCSBRK", ArgKind.None),
        new(0x5428, "TIOCCBRK", ArgKind.None),
        new(0x5429, "TIOCGSID", ArgKind.Pointer),
        new(0x542e, "TIOCGRS485", ArgKind.Hex),
        new(0x542f, "TIOCSRS485", ArgKind.Hex),
        new(0x5432, "TCGETX", ArgKind.Hex),
        new(0x5433, "TCSETX", ArgKind.Hex),
        new(0x5434, "TCSETXF", ArgKind.Hex),
        new(0x5435, "TCSETXW", ArgKind.Hex),
        new(0x5437, "TIOCVHANGUP", ArgKind.None),
        new(0x5441, "TIOCGPTPEER", ArgKind.Hex),
        new(0x5450, "FIONCLEX", ArgKind.None),
        new(0x5451, "FIOCLEX", ArgKind.None),
        new(0x5452, "FIOASYNC", ArgKind.Pointer),
        new(0x5456, "TIOCGLCKTRMIOS", ArgKind.Pointer),
        new(0x5457, "TIOCSLCKTRMIOS", ArgKind.Pointer),
        new(0x5453, "TIOCSERCONFIG", ArgKind.Hex),
        new(0x5454, "TIOCSERGWILD", ArgKind.Hex),
        new(0x5455, "TIOCSERSWILD", ArgKind.Hex),
        new(0x5458, "TIOCSERGSTRUCT", ArgKind.Hex),
        new(0x5459, "TIOCSERGETLSR", ArgKind.Hex),
        new(0x545a, "TIOCSERGETMULTI", ArgKind.Hex),
        new(0x545b, "TIOCSERSETMULTI", ArgKind.Hex),
        new(0x545c, "TIOCMIWAIT", ArgKind.Hex),
        new(0x545d, "TIOCGICOUNT", ArgKind.Hex),
        new(0x5460, "FIOQSIZE", ArgKind.Hex),
        new(0x80045430, "TIOCGPTN", ArgKind.Pointer),
        new(0x40045431, "TIOCSPTLCK", ArgKind.Pointer),
        new(0x80045432, "TIOCGDEV", ArgKind.Pointer),
        new(0x80045439, "TIOCGPTLCK", ArgKind.Pointer),
        new(0x80045440, "TIOCGEXCL", ArgKind.Pointer),
    ];

    private static readonly NameTable FlowActions = new(
        "TC???",
        new(0, "TCOOFF"),
        new(1, "TCOON"),
        new(2, "TCIOFF"),
        new(3, "TCION"));

    private static readonly NameTable FlushQueues = new(
        "TC???",
        new(0, "TCIFLUSH"),
        new(1, "TCOFLUSH"),
        new(2, "TCIOFLUSH"));

    private static readonly string[] Directions = ["_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE"];

    private static int Find(ulong code)
    {
        for (int i = 0; i < Requests.Length; i++)
        {
            if (Requests[i].Code == code)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The request by name, or <c>_IOC(_IOC_READ, 0x54, 0x26, 0x4)</c>.</summary>
    public static void AppendRequest(StringBuilder sb, ulong raw)
    {
        uint code = (uint)raw;
        int index = Find(code);
        if (index >= 0)
        {
            sb.Append(Requests[index].Name);
            return;
        }
        sb.Append("_IOC(").Append(Directions[(code >> 30) & (_IOC_READ | _IOC_WRITE)]).Append(", ");
        FlagText.Hex(sb, (code >> 8) & 0xff);
        sb.Append(", ");
        FlagText.Hex(sb, code & 0xff);
        sb.Append(", ");
        FlagText.Hex(sb, (code >> 16) & 0x3fff);
        sb.Append(')');
    }

    /// <summary>Whether strace prints a third argument: not for requests that take none (FIOCLEX, TIOCNOTTY...).</summary>
    public static bool HasArgument(ulong request)
    {
        int index = Find((uint)request);
        return index < 0 || Requests[index].Arg != ArgKind.None;
    }

    /// <summary>
    /// The third argument: a number for the few requests that take one, else the address.
    /// strace prints what the address points to when it can read it (a termios, a winsize...),
    /// which is out of reach here.
    /// </summary>
    public static void AppendArgument(StringBuilder sb, ulong request, ulong arg)
    {
        int index = Find((uint)request);
        switch (index < 0 ? ArgKind.Hex : Requests[index].Arg)
        {
            case ArgKind.Int:
                sb.Append((int)arg);
                break;
            case ArgKind.FlowAction:
                FlowActions.AppendValue(sb, arg);
                break;
            case ArgKind.FlushQueue:
                FlushQueues.AppendValue(sb, arg);
                break;
            case ArgKind.Pointer:
                FlagText.Address(sb, arg);
                break;
            default:
                FlagText.Hex(sb, arg);
                break;
        }
    }

    internal static void Register(DecoderRegistry r)
    {
        r.For("ioctl")
            .Arg(1, static (sb, a) => AppendRequest(sb, a[1]))
            .Arg(2, static (sb, a) => AppendArgument(sb, a[1], a[2]))
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, HasArgument(a[1]) ? 3 : 2));
    }
}
