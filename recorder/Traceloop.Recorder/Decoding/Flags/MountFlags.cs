using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>mount's MS_* flags and umount2's flags.</summary>
internal static class MountFlags
{
    private const ulong MS_MGC_VAL = 0xc0ed0000;
    private const ulong MS_MGC_MSK = 0xffff0000;

    private static readonly NameTable Flags = new(
        "MS_???",
        new(1UL << 0, "MS_RDONLY"),
        new(1UL << 1, "MS_NOSUID"),
        new(1UL << 2, "MS_NODEV"),
        new(1UL << 3, "MS_NOEXEC"),
        new(1UL << 4, "MS_SYNCHRONOUS"),
        new(1UL << 5, "MS_REMOUNT"),
        new(1UL << 6, "MS_MANDLOCK"),
        new(1UL << 7, "MS_DIRSYNC"),
        new(1UL << 8, "MS_NOSYMFOLLOW"),
        new(1UL << 10, "MS_NOATIME"),
        new(1UL << 11, "MS_NODIRATIME"),
        new(1UL << 12, "MS_BIND"),
        new(1UL << 13, "MS_MOVE"),
        new(1UL << 14, "MS_REC"),
        new(1UL << 15, "MS_SILENT"),
        new(1UL << 16, "MS_POSIXACL"),
        new(1UL << 17, "MS_UNBINDABLE"),
        new(1UL << 18, "MS_PRIVATE"),
        new(1UL << 19, "MS_SLAVE"),
        new(1UL << 20, "MS_SHARED"),
        new(1UL << 21, "MS_RELATIME"),
        new(1UL << 22, "MS_KERNMOUNT"),
        new(1UL << 23, "MS_I_VERSION"),
        new(1UL << 24, "MS_STRICTATIME"),
        new(1UL << 25, "MS_LAZYTIME"),
        new(1UL << 26, "MS_SUBMOUNT"),
        new(1UL << 27, "MS_NOREMOTELOCK"),
        new(1UL << 28, "MS_NOSEC"),
        new(1UL << 29, "MS_BORN"),
        new(1UL << 30, "MS_ACTIVE"),
        new(1UL << 31, "MS_NOUSER"));

    private static readonly NameTable UnmountFlags = new(
        "MNT_???",
        new(0x1, "MNT_FORCE"),
        new(0x2, "MNT_DETACH"),
        new(0x4, "MNT_EXPIRE"),
        new(0x8, "UMOUNT_NOFOLLOW"));

    /// <summary>
    /// mount's flags; the old magic number in the top half (which the kernel strips) prints as
    /// <c>MS_MGC_VAL</c> first: <c>MS_MGC_VAL|MS_BIND|MS_REC</c>.
    /// </summary>
    public static void AppendMountFlags(StringBuilder sb, ulong flags)
    {
        flags &= 0xffffffff;
        if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
        {
            sb.Append("MS_MGC_VAL");
            flags &= ~MS_MGC_MSK;
            if (flags == 0)
            {
                return;
            }
            sb.Append('|');
        }
        Flags.AppendFlags(sb, flags);
    }

    internal static void Register(DecoderRegistry r)
    {
        r.For("mount").Arg(3, static (sb, a) => AppendMountFlags(sb, a[3]));
        r.For("umount2").Arg(1, static (sb, a) => UnmountFlags.AppendFlags(sb, a[1] & 0xffffffff));
    }
}
