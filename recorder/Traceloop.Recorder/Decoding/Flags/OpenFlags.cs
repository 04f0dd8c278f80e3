using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>The O_* flags of open, openat, fcntl(F_SETFL/F_GETFL), pipe2 and dup3, and when open prints its mode.</summary>
internal static class OpenFlags
{
    public const ulong O_ACCMODE = 0x3;
    public const ulong O_CREAT = 0x40;
    public const ulong O_CLOEXEC = 0x80000;
    public const ulong __O_TMPFILE = 0x400000;

    private static readonly NameTable AccessModes = new(
        "O_???",
        new(0x0, "O_RDONLY"),
        new(0x1, "O_WRONLY"),
        new(0x2, "O_RDWR"),
        new(0x3, "O_ACCMODE"));

    /// <summary>strace's open_mode_flags, in its order: O_SYNC before O_DSYNC and __O_SYNC, O_TMPFILE before O_DIRECTORY and __O_TMPFILE.</summary>
    public static readonly NameTable Flags = new(
        "O_???",
        new(0x40, "O_CREAT"),
        new(0x80, "O_EXCL"),
        new(0x100, "O_NOCTTY"),
        new(0x200, "O_TRUNC"),
        new(0x400, "O_APPEND"),
        new(0x800, "O_NONBLOCK"),
        new(0x101000, "O_SYNC"),
        new(0x100000, "__O_SYNC"),
        new(0x1000, "O_DSYNC"),
        new(0x4000, "O_DIRECT"),
        new(0x8000, "O_LARGEFILE"),
        new(0x20000, "O_NOFOLLOW"),
        new(0x40000, "O_NOATIME"),
        new(0x80000, "O_CLOEXEC"),
        new(0x200000, "O_PATH"),
        new(0x410000, "O_TMPFILE"),
        new(0x400000, "__O_TMPFILE"),
        new(0x10000, "O_DIRECTORY"),
        new(0x2000, "FASYNC"));

    /// <summary>The access mode, always (<c>O_RDONLY</c> for 0), then the other flags: <c>O_RDONLY|O_CREAT|0x40000000</c>.</summary>
    public static void AppendOpenFlags(StringBuilder sb, ulong flags)
    {
        flags &= 0xffffffff;
        AccessModes.AppendValue(sb, flags & O_ACCMODE);
        flags &= ~O_ACCMODE;
        if (flags != 0)
        {
            sb.Append('|');
            Flags.AppendFlags(sb, flags, comment: false);
        }
    }

    /// <summary>The flags of pipe2 and dup3: O_* names with no access mode, <c>0</c> for none.</summary>
    public static void AppendFlagsOnly(StringBuilder sb, ulong flags) => Flags.AppendFlags(sb, flags & 0xffffffff);

    /// <summary>strace prints open's mode only when the flags can create a file.</summary>
    public static bool HasMode(ulong flags) => (flags & (O_CREAT | __O_TMPFILE)) != 0;

    internal static void Register(DecoderRegistry r)
    {
        r.For("open")
            .Arg(1, static (sb, a) => AppendOpenFlags(sb, a[1]))
            .Arg(2, static (sb, a) => FileModes.AppendMode(sb, a[2]))
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, HasMode(a[1]) ? 3 : 2));
        r.For("openat")
            .Arg(0, static (sb, a) => AtFlags.AppendDirFd(sb, a[0]))
            .Arg(2, static (sb, a) => AppendOpenFlags(sb, a[2]))
            .Arg(3, static (sb, a) => FileModes.AppendMode(sb, a[3]))
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, HasMode(a[2]) ? 4 : 3));
        r.For("creat").Arg(1, static (sb, a) => FileModes.AppendMode(sb, a[1]));
        r.For("open_by_handle_at").Arg(2, static (sb, a) => AppendOpenFlags(sb, a[2]));
        r.For("pipe2").Arg(1, static (sb, a) => AppendFlagsOnly(sb, a[1]));
        r.For("dup3").Arg(2, static (sb, a) => AppendFlagsOnly(sb, a[2]));
    }
}
