using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>The *at syscalls' directory fd and AT_* flags, access(2)'s modes, statx's mask and renameat2's flags.</summary>
internal static class AtFlags
{
    public const int AT_FDCWD = -100;
    private const ulong AT_STATX_SYNC_TYPE = 0x6000;

    public static readonly NameTable Flags = new(
        "AT_???",
        new(0x100, "AT_SYMLINK_NOFOLLOW"),
        new(0x200, "AT_REMOVEDIR"),
        new(0x400, "AT_SYMLINK_FOLLOW"),
        new(0x800, "AT_NO_AUTOMOUNT"),
        new(0x1000, "AT_EMPTY_PATH"),
        new(0x8000, "AT_RECURSIVE"));

    /// <summary>faccessat2 reads 0x200 as AT_EACCESS, not AT_REMOVEDIR.</summary>
    private static readonly NameTable FaccessatFlags = new(
        "AT_???",
        new(0x100, "AT_SYMLINK_NOFOLLOW"),
        new(0x200, "AT_EACCESS"),
        new(0x1000, "AT_EMPTY_PATH"));

    private static readonly NameTable StatxSyncTypes = new(
        "AT_STATX_???",
        new(0x0, "AT_STATX_SYNC_AS_STAT"),
        new(0x2000, "AT_STATX_FORCE_SYNC"),
        new(0x4000, "AT_STATX_DONT_SYNC"));

    /// <summary>STATX_ALL and STATX_BASIC_STATS first, so that they claim their bits.</summary>
    private static readonly NameTable StatxMask = new(
        "STATX_???",
        new(0xfff, "STATX_ALL"),
        new(0x7ff, "STATX_BASIC_STATS"),
        new(0x1, "STATX_TYPE"),
        new(0x2, "STATX_MODE"),
        new(0x4, "STATX_NLINK"),
        new(0x8, "STATX_UID"),
        new(0x10, "STATX_GID"),
        new(0x20, "STATX_ATIME"),
        new(0x40, "STATX_MTIME"),
        new(0x80, "STATX_CTIME"),
        new(0x100, "STATX_INO"),
        new(0x200, "STATX_SIZE"),
        new(0x400, "STATX_BLOCKS"),
        new(0x800, "STATX_BTIME"),
        new(0x1000, "STATX_MNT_ID"),
        new(0x2000, "STATX_DIOALIGN"));

    /// <summary>access(2) modes; strace lists R before W before X, and F_OK names zero.</summary>
    private static readonly NameTable AccessModes = new(
        "?_OK",
        new(0x0, "F_OK"),
        new(0x4, "R_OK"),
        new(0x2, "W_OK"),
        new(0x1, "X_OK"));

    private static readonly NameTable RenameFlags = new(
        "RENAME_??",
        new(0x1, "RENAME_NOREPLACE"),
        new(0x2, "RENAME_EXCHANGE"),
        new(0x4, "RENAME_WHITEOUT"));

    /// <summary>A directory fd: <c>AT_FDCWD</c> or the number. Like the kernel, only the low 32 bits count.</summary>
    public static void AppendDirFd(StringBuilder sb, ulong raw)
    {
        int fd = (int)raw;
        if (fd == AT_FDCWD)
        {
            sb.Append("AT_FDCWD");
        }
        else
        {
            sb.Append(fd);
        }
    }

    public static void AppendAtFlags(StringBuilder sb, ulong flags) => Flags.AppendFlags(sb, flags & 0xffffffff);

    public static void AppendAccessMode(StringBuilder sb, ulong mode) => AccessModes.AppendFlags(sb, mode & 0xffffffff);

    /// <summary>statx's flags: the sync type always (<c>AT_STATX_SYNC_AS_STAT</c> for 0), then the AT_* flags.</summary>
    public static void AppendStatxFlags(StringBuilder sb, ulong flags)
    {
        flags &= 0xffffffff;
        StatxSyncTypes.AppendFlags(sb, flags & AT_STATX_SYNC_TYPE);
        flags &= ~AT_STATX_SYNC_TYPE;
        if (flags != 0)
        {
            sb.Append('|');
            Flags.AppendFlags(sb, flags, comment: false);
        }
    }

    public static void AppendStatxMask(StringBuilder sb, ulong mask) => StatxMask.AppendFlags(sb, mask & 0xffffffff);

    internal static void Register(DecoderRegistry r)
    {
        ArgumentRenderer dirfd0 = static (sb, a) => AppendDirFd(sb, a[0]);
        r.For("newfstatat").Arg(0, dirfd0).Arg(3, static (sb, a) => AppendAtFlags(sb, a[3]));
        r.For("unlinkat").Arg(0, dirfd0).Arg(2, static (sb, a) => AppendAtFlags(sb, a[2]));
        r.For("fchownat").Arg(0, dirfd0).Arg(4, static (sb, a) => AppendAtFlags(sb, a[4]));
        r.For("utimensat").Arg(0, dirfd0).Arg(3, static (sb, a) => AppendAtFlags(sb, a[3]));
        r.For("execveat").Arg(0, dirfd0).Arg(4, static (sb, a) => AppendAtFlags(sb, a[4]));
        r.For("name_to_handle_at").Arg(0, dirfd0).Arg(4, static (sb, a) => AppendAtFlags(sb, a[4]));
        r.For("linkat")
            .Arg(0, dirfd0)
            .Arg(2, static (sb, a) => AppendDirFd(sb, a[2]))
            .Arg(4, static (sb, a) => AppendAtFlags(sb, a[4]));
        r.For("symlinkat").Arg(1, static (sb, a) => AppendDirFd(sb, a[1]));
        r.For("readlinkat").Arg(0, dirfd0);
        r.For("futimesat").Arg(0, dirfd0);
        r.For("renameat")
            .Arg(0, dirfd0)
            .Arg(2, static (sb, a) => AppendDirFd(sb, a[2]));
        r.For("renameat2")
            .Arg(0, dirfd0)
            .Arg(2, static (sb, a) => AppendDirFd(sb, a[2]))
            .Arg(4, static (sb, a) => RenameFlags.AppendFlags(sb, a[4] & 0xffffffff));
        r.For("access").Arg(1, static (sb, a) => AppendAccessMode(sb, a[1]));
        r.For("faccessat").Arg(0, dirfd0).Arg(2, static (sb, a) => AppendAccessMode(sb, a[2]));
        r.For("faccessat2")
            .Arg(0, dirfd0)
            .Arg(2, static (sb, a) => AppendAccessMode(sb, a[2]))
            .Arg(3, static (sb, a) => FaccessatFlags.AppendFlags(sb, a[3] & 0xffffffff));
        r.For("statx")
            .Arg(0, dirfd0)
            .Arg(2, static (sb, a) => AppendStatxFlags(sb, a[2]))
            .Arg(3, static (sb, a) => AppendStatxMask(sb, a[3]));
    }
}
