using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct stat (stat, fstat, lstat, newfstatat) and struct statx, abbreviated as strace prints them
/// without -v: <c>{st_mode=S_IFREG|0644, st_size=1234, ...}</c>,
/// <c>{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}</c>,
/// <c>{stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=1234, ...}</c>.
/// </summary>
internal static class Stat
{
    // x86-64 struct stat: st_dev, st_ino, st_nlink (8 each), st_mode, st_uid, st_gid, pad (4 each),
    // st_rdev, st_size, ... 144 bytes in all. Only the fields strace abbreviates to are read.
    private const int StModeOffset = 24;
    private const int StRdevOffset = 40;
    private const int StSizeOffset = 48;

    /// <summary>The bytes strace's abbreviated struct stat needs: everything up to st_size.</summary>
    public const int StatPrintedSize = StSizeOffset + 8;

    public const int StatSize = 144;

    // struct statx: stx_mask (4), stx_blksize (4), stx_attributes (8), stx_nlink, stx_uid, stx_gid (4 each),
    // stx_mode (2), pad (2), stx_ino (8), stx_size (8), ... 256 bytes in all.
    private const int StxMaskOffset = 0;
    private const int StxAttributesOffset = 8;
    private const int StxModeOffset = 28;
    private const int StxSizeOffset = 40;

    /// <summary>The bytes strace's abbreviated struct statx needs: everything up to stx_size.</summary>
    public const int StatxPrintedSize = StxSizeOffset + 8;

    public const int StatxSize = 256;

    #pragma warning disable IDE1006 // the C names of <linux/stat.h>
    private const uint S_IFMT = 0xf000;
    private const uint S_ISUID = 0x800;
    private const uint S_ISGID = 0x400;
    private const uint S_ISVTX = 0x200;
    private const uint STATX_TYPE = 0x1;
    private const uint STATX_MODE = 0x2;
    private const uint STATX_SIZE = 0x200;
    #pragma warning restore IDE1006

    private static readonly NameTable StatxAttributes = new(
        "STATX_ATTR_???",
        new(0x4, "STATX_ATTR_COMPRESSED"),
        new(0x10, "STATX_ATTR_IMMUTABLE"),
        new(0x20, "STATX_ATTR_APPEND"),
        new(0x40, "STATX_ATTR_NODUMP"),
        new(0x800, "STATX_ATTR_ENCRYPTED"),
        new(0x1000, "STATX_ATTR_AUTOMOUNT"),
        new(0x2000, "STATX_ATTR_MOUNT_ROOT"),
        new(0x100000, "STATX_ATTR_VERITY"),
        new(0x200000, "STATX_ATTR_DAX"));

    /// <summary>struct stat of stat, fstat, lstat (argument 1) and newfstatat (argument 2), at exit.</summary>
    public static bool TryAppendStat(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, StModeOffset, 4))
        {
            return false;
        }
        uint mode = U32(data, StModeOffset);
        sb.Append("{st_mode=");
        AppendMode(sb, mode);
        // A device number means something for device files only, and then strace shows it instead of the size.
        if ((mode & S_IFMT) is 0x2000 or 0x6000)
        {
            if (!Has(data, StRdevOffset, 8))
            {
                return Cut(sb);
            }
            sb.Append(", st_rdev=");
            AppendDevice(sb, U64(data, StRdevOffset));
        }
        else
        {
            if (!Has(data, StSizeOffset, 8))
            {
                return Cut(sb);
            }
            sb.Append(", st_size=").Append(U64(data, StSizeOffset));
        }
        sb.Append(", ...}");
        return true;
    }

    /// <summary>struct statx of statx (argument 4), at exit. The mode and the size appear only when stx_mask says the kernel filled them.</summary>
    public static bool TryAppendStatx(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, StxMaskOffset, 4))
        {
            return false;
        }
        uint mask = U32(data, StxMaskOffset);
        sb.Append("{stx_mask=");
        AtFlags.AppendStatxMask(sb, mask);
        if (!Has(data, StxAttributesOffset, 8))
        {
            return Cut(sb);
        }
        sb.Append(", stx_attributes=");
        StatxAttributes.AppendFlags(sb, U64(data, StxAttributesOffset));
        if ((mask & (STATX_TYPE | STATX_MODE)) != 0)
        {
            if (!Has(data, StxModeOffset, 2))
            {
                return Cut(sb);
            }
            sb.Append(", stx_mode=");
            AppendMode(sb, U16(data, StxModeOffset));
        }
        if ((mask & STATX_SIZE) != 0)
        {
            if (!Has(data, StxSizeOffset, 8))
            {
                return Cut(sb);
            }
            sb.Append(", stx_size=").Append(U64(data, StxSizeOffset));
        }
        sb.Append(", ...}");
        return true;
    }

    /// <summary>
    /// strace's <c>print_symbolic_mode_t</c>: the file type by name, the set-id and sticky bits, then the
    /// rest in octal (<c>S_IFDIR|S_ISVTX|0777</c>, <c>S_IFREG|000</c>); a type it does not know makes the
    /// whole mode octal (<c>0170755</c>).
    /// </summary>
    public static void AppendMode(StringBuilder sb, uint mode)
    {
        string? type = null;
        if ((mode & S_IFMT) != 0)
        {
            type = Flags.FileModes.FileTypes.Find(mode & S_IFMT);
            if (type is null)
            {
                FlagText.Octal(sb, mode);
                return;
            }
        }
        if (type is not null)
        {
            sb.Append(type).Append('|');
        }
        if ((mode & S_ISUID) != 0)
        {
            sb.Append("S_ISUID|");
        }
        if ((mode & S_ISGID) != 0)
        {
            sb.Append("S_ISGID|");
        }
        if ((mode & S_ISVTX) != 0)
        {
            sb.Append("S_ISVTX|");
        }
        FlagText.Octal(sb, mode & ~(S_IFMT | S_ISUID | S_ISGID | S_ISVTX));
    }

    /// <summary>A 64-bit dev_t split as glibc's major() and minor() do: <c>makedev(0x8, 0x1)</c>, <c>makedev(0, 0)</c>.</summary>
    public static void AppendDevice(StringBuilder sb, ulong dev)
    {
        uint major = (uint)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffUL));
        uint minor = (uint)((dev & 0xff) | ((dev >> 12) & ~0xffUL));
        sb.Append("makedev(");
        FlagText.Hex(sb, major);
        sb.Append(", ");
        FlagText.Hex(sb, minor);
        sb.Append(')');
    }
}
