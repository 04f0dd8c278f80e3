using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>fcntl's commands, its third argument read as the command says, and the values F_GET* return.</summary>
internal static class FcntlCommands
{
    private const int F_DUPFD = 0;
    private const int F_GETFD = 1;
    private const int F_SETFD = 2;
    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int F_GETLK = 5;
    private const int F_SETLK = 6;
    private const int F_SETLKW = 7;
    private const int F_SETOWN = 8;
    private const int F_GETOWN = 9;
    private const int F_SETSIG = 10;
    private const int F_GETSIG = 11;
    private const int F_SETOWN_EX = 15;
    private const int F_GETOWN_EX = 16;
    private const int F_OFD_GETLK = 36;
    private const int F_OFD_SETLK = 37;
    private const int F_OFD_SETLKW = 38;
    private const int F_SETLEASE = 1024;
    private const int F_GETLEASE = 1025;
    private const int F_NOTIFY = 1026;
    private const int F_DUPFD_CLOEXEC = 1030;
    private const int F_SETPIPE_SZ = 1031;
    private const int F_GETPIPE_SZ = 1032;
    private const int F_ADD_SEALS = 1033;
    private const int F_GET_SEALS = 1034;

    private static readonly NameTable Commands = new(
        "F_???",
        new(0, "F_DUPFD"),
        new(1, "F_GETFD"),
        new(2, "F_SETFD"),
        new(3, "F_GETFL"),
        new(4, "F_SETFL"),
        new(5, "F_GETLK"),
        new(6, "F_SETLK"),
        new(7, "F_SETLKW"),
        new(8, "F_SETOWN"),
        new(9, "F_GETOWN"),
        new(10, "F_SETSIG"),
        new(11, "F_GETSIG"),
        new(12, "F_GETLK64"),
        new(13, "F_SETLK64"),
        new(14, "F_SETLKW64"),
        new(15, "F_SETOWN_EX"),
        new(16, "F_GETOWN_EX"),
        new(17, "F_GETOWNER_UIDS"),
        new(36, "F_OFD_GETLK"),
        new(37, "F_OFD_SETLK"),
        new(38, "F_OFD_SETLKW"),
        new(1024, "F_SETLEASE"),
        new(1025, "F_GETLEASE"),
        new(1026, "F_NOTIFY"),
        new(1029, "F_CANCELLK"),
        new(1030, "F_DUPFD_CLOEXEC"),
        new(1031, "F_SETPIPE_SZ"),
        new(1032, "F_GETPIPE_SZ"),
        new(1033, "F_ADD_SEALS"),
        new(1034, "F_GET_SEALS"));

    private static readonly NameTable DescriptorFlags = new(
        "FD_???",
        new Named(0x1, "FD_CLOEXEC"));

    private static readonly NameTable LeaseTypes = new(
        "F_???",
        new(0, "F_RDLCK"),
        new(1, "F_WRLCK"),
        new(2, "F_UNLCK"));

    private static readonly NameTable NotifyFlags = new(
        "DN_???",
        new(0x1, "DN_ACCESS"),
        new(0x2, "DN_MODIFY"),
        new(0x4, "DN_CREATE"),
        new(0x8, "DN_DELETE"),
        new(0x10, "DN_RENAME"),
        new(0x20, "DN_ATTRIB"),
        new(0x80000000, "DN_MULTISHOT"));

    private static readonly NameTable Seals = new(
        "F_SEAL_???",
        new(0x1, "F_SEAL_SEAL"),
        new(0x2, "F_SEAL_SHRINK"),
        new(0x4, "F_SEAL_GROW"),
        new(0x8, "F_SEAL_WRITE"),
        new(0x10, "F_SEAL_FUTURE_WRITE"));

    public static void AppendCommand(StringBuilder sb, ulong cmd) => Commands.AppendValue(sb, cmd & 0xffffffff);

    /// <summary>Whether strace prints a third argument for the command: not for the F_GET* that take none.</summary>
    public static bool HasArgument(ulong cmd) => (int)cmd switch
    {
        F_GETFD or F_GETFL or F_GETOWN or F_GETSIG or F_GETLEASE or F_GETPIPE_SZ or F_GET_SEALS => false,
        _ => true,
    };

    /// <summary>
    /// The third argument as the command reads it; false for the lock and owner commands, whose
    /// pointer to a struct strace prints by content (out of reach here: the caller prints the address).
    /// </summary>
    public static bool TryAppendArgument(StringBuilder sb, ulong cmd, ulong arg)
    {
        switch ((int)cmd)
        {
            case F_DUPFD:
            case F_DUPFD_CLOEXEC:
            case F_SETOWN:
            case F_SETPIPE_SZ:
                sb.Append((long)arg);
                return true;
            case F_SETFD:
                DescriptorFlags.AppendFlags(sb, arg & 0xffffffff);
                return true;
            case F_SETFL:
                OpenFlags.AppendOpenFlags(sb, arg);
                return true;
            case F_SETSIG:
                SignalArguments.AppendSignal(sb, (long)arg);
                return true;
            case F_SETLEASE:
                LeaseTypes.AppendValue(sb, arg);
                return true;
            case F_NOTIFY:
                NotifyFlags.AppendFlags(sb, arg);
                return true;
            case F_ADD_SEALS:
                Seals.AppendFlags(sb, arg);
                return true;
            case F_GETLK:
            case F_SETLK:
            case F_SETLKW:
            case F_OFD_GETLK:
            case F_OFD_SETLK:
            case F_OFD_SETLKW:
            case F_SETOWN_EX:
            case F_GETOWN_EX:
                return false;
            default:
                FlagText.Hex(sb, arg);
                return true;
        }
    }

    /// <summary>The F_GET* results strace explains: <c>0x8002 (flags O_RDWR|O_LARGEFILE)</c>, <c>0x1 (flags FD_CLOEXEC)</c>, <c>29 (SIGIO)</c>.</summary>
    public static bool TryAppendReturn(StringBuilder sb, ulong cmd, long ret)
    {
        ulong value = (ulong)ret;
        switch ((int)cmd)
        {
            case F_GETFL:
                FlagText.Hex(sb, value);
                sb.Append(" (flags ");
                OpenFlags.AppendOpenFlags(sb, value);
                sb.Append(')');
                return true;
            case F_GETFD when ret != 0:
                FlagText.Hex(sb, value);
                sb.Append(" (flags ");
                DescriptorFlags.AppendFlags(sb, value, comment: false);
                sb.Append(')');
                return true;
            case F_GET_SEALS when ret != 0:
                FlagText.Hex(sb, value);
                sb.Append(" (seals ");
                Seals.AppendFlags(sb, value, comment: false);
                sb.Append(')');
                return true;
            case F_GETLEASE:
                FlagText.Hex(sb, value);
                if (LeaseTypes.Find(value) is { } lease)
                {
                    sb.Append(" (").Append(lease).Append(')');
                }
                return true;
            case F_GETSIG:
                sb.Append(ret);
                if (ret != 0 && SignalArguments.Name(ret) is { } signal)
                {
                    sb.Append(" (").Append(signal).Append(')');
                }
                return true;
            default:
                return false;
        }
    }

    internal static void Register(DecoderRegistry r)
    {
        r.For("fcntl")
            .Arg(1, static (sb, a) => AppendCommand(sb, a[1]))
            .Arg(2, static (sb, a) =>
            {
                if (!TryAppendArgument(sb, a[1], a[2]))
                {
                    FlagText.Address(sb, a[2]);
                }
            })
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, HasArgument(a[1]) ? 3 : 2))
            .Returns(static (sb, a, ret) => TryAppendReturn(sb, a[1], ret));
    }
}
