using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// The kernel's struct termios of ioctl TCGETS (argument 2, exit) and TCSETS, TCSETSW, TCSETSF (entry),
/// and struct winsize of TIOCGWINSZ (exit) and TIOCSWINSZ (entry), as strace 6.1 prints them:
/// <c>{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|..., ...}</c>,
/// <c>{ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}</c>.
/// </summary>
/// <remarks>
/// Older strace printed <c>{B38400 opost isig icanon echo ...}</c>; 6.1 prints the four flag words and
/// stops, with its quirks kept here: an empty word prints nothing (<c>c_iflag=, </c>) and the delay
/// and size fields end in <c>|</c> even when nothing follows (<c>c_cflag=B0|CS5|</c>). The kernel's
/// struct is 36 bytes (no speeds on x86-64, unlike glibc's 60); strace's abbreviated form reads only
/// the four flag words.
/// </remarks>
internal static class Termios
{
    public const int Size = 36;
    public const int PrintedSize = 16;
    public const int WinsizeSize = 8;

    private const uint NLDLY = 0x100;
    private const uint CRDLY = 0x600;
    private const uint TABDLY = 0x1800;
    private const uint BSDLY = 0x2000;
    private const uint VTDLY = 0x4000;
    private const uint FFDLY = 0x8000;
    private const uint CBAUD = 0x100f;
    private const uint CIBAUD = 0x100f0000;
    private const int IBSHIFT = 16;
    private const uint CSIZE = 0x30;

    private static readonly NameTable InputFlags = new(
        "",
        new(0x1, "IGNBRK"),
        new(0x2, "BRKINT"),
        new(0x4, "IGNPAR"),
        new(0x8, "PARMRK"),
        new(0x10, "INPCK"),
        new(0x20, "ISTRIP"),
        new(0x40, "INLCR"),
        new(0x80, "IGNCR"),
        new(0x100, "ICRNL"),
        new(0x200, "IUCLC"),
        new(0x400, "IXON"),
        new(0x800, "IXANY"),
        new(0x1000, "IXOFF"),
        new(0x2000, "IMAXBEL"),
        new(0x4000, "IUTF8"));

    private static readonly NameTable OutputFlags = new(
        "",
        new(0x1, "OPOST"),
        new(0x2, "OLCUC"),
        new(0x4, "ONLCR"),
        new(0x8, "OCRNL"),
        new(0x10, "ONOCR"),
        new(0x20, "ONLRET"),
        new(0x40, "OFILL"),
        new(0x80, "OFDEL"));

    private static readonly NameTable ControlFlags = new(
        "",
        new(0x40, "CSTOPB"),
        new(0x80, "CREAD"),
        new(0x100, "PARENB"),
        new(0x200, "PARODD"),
        new(0x400, "HUPCL"),
        new(0x800, "CLOCAL"),
        new(0x40000000, "CMSPAR"),
        new(0x80000000, "CRTSCTS"));

    private static readonly NameTable LocalFlags = new(
        "",
        new(0x1, "ISIG"),
        new(0x2, "ICANON"),
        new(0x4, "XCASE"),
        new(0x8, "ECHO"),
        new(0x10, "ECHOE"),
        new(0x20, "ECHOK"),
        new(0x40, "ECHONL"),
        new(0x80, "NOFLSH"),
        new(0x8000, "IEXTEN"),
        new(0x200, "ECHOCTL"),
        new(0x400, "ECHOPRT"),
        new(0x800, "ECHOKE"),
        new(0x1000, "FLUSHO"),
        new(0x4000, "PENDIN"),
        new(0x100, "TOSTOP"),
        new(0x10000, "EXTPROC"));

    private static readonly NameTable NewlineDelays = new("NL?", new(0, "NL0"), new(0x100, "NL1"));
    private static readonly NameTable ReturnDelays = new("CR?", new(0, "CR0"), new(0x200, "CR1"), new(0x400, "CR2"), new(0x600, "CR3"));
    private static readonly NameTable TabDelays = new("TAB?", new(0x1800, "XTABS"), new(0, "TAB0"), new(0x800, "TAB1"), new(0x1000, "TAB2"), new(0x1800, "TAB3"));
    private static readonly NameTable BackspaceDelays = new("BS?", new(0, "BS0"), new(0x2000, "BS1"));
    private static readonly NameTable VerticalTabDelays = new("VT?", new(0, "VT0"), new(0x4000, "VT1"));
    private static readonly NameTable FormFeedDelays = new("FF?", new(0, "FF0"), new(0x8000, "FF1"));
    private static readonly NameTable CharacterSizes = new("CS?", new(0, "CS5"), new(0x10, "CS6"), new(0x20, "CS7"), new(0x30, "CS8"));

    private static readonly NameTable Speeds = new(
        "B???",
        new(0x0, "B0"),
        new(0x1, "B50"),
        new(0x2, "B75"),
        new(0x3, "B110"),
        new(0x4, "B134"),
        new(0x5, "B150"),
        new(0x6, "B200"),
        new(0x7, "B300"),
        new(0x8, "B600"),
        new(0x9, "B1200"),
        new(0xa, "B1800"),
        new(0xb, "B2400"),
        new(0xc, "B4800"),
        new(0xd, "B9600"),
        new(0xe, "B19200"),
        new(0xf, "B38400"),
        new(0x1001, "B57600"),
        new(0x1002, "B115200"),
        new(0x1003, "B230400"),
        new(0x1004, "B460800"),
        new(0x1005, "B500000"),
        new(0x1006, "B576000"),
        new(0x1007, "B921600"),
        new(0x1008, "B1000000"),
        new(0x1009, "B1152000"),
        new(0x100a, "B1500000"),
        new(0x100b, "B2000000"),
        new(0x100c, "B2500000"),
        new(0x100d, "B3000000"),
        new(0x100e, "B3500000"),
        new(0x100f, "B4000000"),
        new(0x1000, "BOTHER"));

    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 4))
        {
            return false;
        }
        sb.Append("{c_iflag=");
        InputFlags.AppendFlags(sb, U32(data, 0), comment: false);
        if (!Has(data, 4, 4))
        {
            return Cut(sb);
        }
        sb.Append(", c_oflag=");
        uint oflag = U32(data, 4);
        AppendField(sb, NewlineDelays, oflag & NLDLY);
        AppendField(sb, ReturnDelays, oflag & CRDLY);
        AppendField(sb, TabDelays, oflag & TABDLY);
        AppendField(sb, BackspaceDelays, oflag & BSDLY);
        AppendField(sb, VerticalTabDelays, oflag & VTDLY);
        AppendField(sb, FormFeedDelays, oflag & FFDLY);
        OutputFlags.AppendFlags(sb, oflag & ~(NLDLY | CRDLY | TABDLY | BSDLY | VTDLY | FFDLY), comment: false);
        if (!Has(data, 8, 4))
        {
            return Cut(sb);
        }
        sb.Append(", c_cflag=");
        uint cflag = U32(data, 8);
        AppendField(sb, Speeds, cflag & CBAUD);
        if ((cflag & CIBAUD) != 0)
        {
            Speeds.AppendValue(sb, (cflag & CIBAUD) >> IBSHIFT);
            sb.Append("<<IBSHIFT|");
        }
        AppendField(sb, CharacterSizes, cflag & CSIZE);
        ControlFlags.AppendFlags(sb, cflag & ~(CBAUD | CIBAUD | CSIZE), comment: false);
        if (!Has(data, 12, 4))
        {
            return Cut(sb);
        }
        sb.Append(", c_lflag=");
        LocalFlags.AppendFlags(sb, U32(data, 12), comment: false);
        sb.Append(", ...}");
        return true;
    }

    public static bool TryAppendWinsize(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 2))
        {
            return false;
        }
        sb.Append("{ws_row=").Append(U16(data, 0));
        if (!Has(data, 2, 6))
        {
            return Cut(sb);
        }
        sb.Append(", ws_col=").Append(U16(data, 2))
            .Append(", ws_xpixel=").Append(U16(data, 4))
            .Append(", ws_ypixel=").Append(U16(data, 6)).Append('}');
        return true;
    }

    // printxval64 of a masked field, then the '|' strace puts after it whatever follows.
    private static void AppendField(StringBuilder sb, NameTable table, uint value)
    {
        table.AppendValue(sb, value);
        sb.Append('|');
    }
}
