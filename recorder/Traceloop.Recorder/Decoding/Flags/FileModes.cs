using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>File modes: permission bits in octal, and mknod's file type by name.</summary>
internal static class FileModes
{
    #pragma warning disable IDE1006 // the C name of <linux/stat.h>
    private const ulong S_IFMT = 0xf000;
    #pragma warning restore IDE1006

    /// <summary>The S_IFMT file types; the stat renderers name st_mode's type with it too.</summary>
    internal static readonly NameTable FileTypes = new(
        "S_IF???",
        new(0xc000, "S_IFSOCK"),
        new(0xa000, "S_IFLNK"),
        new(0x8000, "S_IFREG"),
        new(0x6000, "S_IFBLK"),
        new(0x4000, "S_IFDIR"),
        new(0x2000, "S_IFCHR"),
        new(0x1000, "S_IFIFO"));

    /// <summary>A umode_t in octal: <c>0644</c>, <c>000</c>. The kernel type is 16 bits wide.</summary>
    public static void AppendMode(StringBuilder sb, ulong mode) => FlagText.Octal(sb, mode & 0xffff);

    /// <summary>mknod's mode: <c>S_IFREG|0644</c>, the type by name when set.</summary>
    public static void AppendTypedMode(StringBuilder sb, ulong mode)
    {
        mode &= 0xffffffff;
        ulong type = mode & S_IFMT;
        if (type != 0)
        {
            FileTypes.AppendValue(sb, type);
            sb.Append('|');
        }
        FlagText.Octal(sb, mode & ~S_IFMT);
    }

    /// <summary>
    /// mknod's device as the kernel splits its 32-bit dev (new_decode_dev): <c>makedev(0x1, 0x3)</c>,
    /// 12 bits of major and 20 of minor.
    /// </summary>
    public static void AppendDevice(StringBuilder sb, ulong raw)
    {
        uint dev = (uint)raw;
        uint major = (dev & 0xfff00) >> 8;
        uint minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
        sb.Append("makedev(");
        FlagText.Hex(sb, major);
        sb.Append(", ");
        FlagText.Hex(sb, minor);
        sb.Append(')');
    }

    private static bool HasDevice(ulong mode) => (mode & S_IFMT) is 0x2000 or 0x6000;

    internal static void Register(DecoderRegistry r)
    {
        r.For("chmod").Arg(1, static (sb, a) => AppendMode(sb, a[1]));
        r.For("fchmod").Arg(1, static (sb, a) => AppendMode(sb, a[1]));
        r.For("fchmodat")
            .Arg(0, static (sb, a) => AtFlags.AppendDirFd(sb, a[0]))
            .Arg(2, static (sb, a) => AppendMode(sb, a[2]));
        r.For("mkdir").Arg(1, static (sb, a) => AppendMode(sb, a[1]));
        r.For("mkdirat")
            .Arg(0, static (sb, a) => AtFlags.AppendDirFd(sb, a[0]))
            .Arg(2, static (sb, a) => AppendMode(sb, a[2]));
        r.For("umask")
            .Arg(0, static (sb, a) => AppendMode(sb, a[0]))
            .Returns(static (sb, a, ret) =>
            {
                FlagText.Octal(sb, (ulong)ret);
                return true;
            });
        // The device number means something only for character and block devices, and strace prints it only then.
        r.For("mknod")
            .Arg(1, static (sb, a) => AppendTypedMode(sb, a[1]))
            .Arg(2, static (sb, a) => AppendDevice(sb, a[2]))
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, HasDevice(a[1]) ? 3 : 2));
        r.For("mknodat")
            .Arg(0, static (sb, a) => AtFlags.AppendDirFd(sb, a[0]))
            .Arg(2, static (sb, a) => AppendTypedMode(sb, a[2]))
            .Arg(3, static (sb, a) => AppendDevice(sb, a[3]))
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, HasDevice(a[2]) ? 4 : 3));
    }
}
