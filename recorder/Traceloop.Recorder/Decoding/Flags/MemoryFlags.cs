using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>mmap, mprotect, mremap, madvise, msync, mlock and memfd_create: PROT_*, MAP_*, MADV_*... and addresses.</summary>
internal static class MemoryFlags
{
    private const ulong MAP_TYPE = 0xf;
    private const int MAP_HUGE_SHIFT = 26;
    private const ulong MAP_HUGE_MASK = 0x3fUL << MAP_HUGE_SHIFT;
    private const ulong MREMAP_MAYMOVE = 0x1;
    private const ulong MREMAP_FIXED = 0x2;
    private const int MFD_HUGE_SHIFT = 26;
    private const ulong MFD_HUGE_MASK = 0x3fUL << MFD_HUGE_SHIFT;

    public static readonly NameTable Protection = new(
        "PROT_???",
        new(0x0, "PROT_NONE"),
        new(0x1, "PROT_READ"),
        new(0x2, "PROT_WRITE"),
        new(0x4, "PROT_EXEC"),
        new(0x8, "PROT_SEM"),
        new(0x1000000, "PROT_GROWSDOWN"),
        new(0x2000000, "PROT_GROWSUP"));

    /// <summary>
    /// strace's mmap_flags. The low four bits are a type, printed as one value (MAP_FILE for 0);
    /// the rest are flags, listed in strace's order.
    /// </summary>
    private static readonly NameTable MapFlags = new(
        "MAP_???",
        new(0x0, "MAP_FILE"),
        new(0x1, "MAP_SHARED"),
        new(0x2, "MAP_PRIVATE"),
        new(0x3, "MAP_SHARED_VALIDATE"),
        new(0x10, "MAP_FIXED"),
        new(0x20, "MAP_ANONYMOUS"),
        new(0x40, "MAP_32BIT"),
        new(0x4000, "MAP_NORESERVE"),
        new(0x8000, "MAP_POPULATE"),
        new(0x10000, "MAP_NONBLOCK"),
        new(0x100, "MAP_GROWSDOWN"),
        new(0x800, "MAP_DENYWRITE"),
        new(0x1000, "MAP_EXECUTABLE"),
        new(0x2000, "MAP_LOCKED"),
        new(0x20000, "MAP_STACK"),
        new(0x40000, "MAP_HUGETLB"),
        new(0x80000, "MAP_SYNC"),
        new(0x100000, "MAP_FIXED_NOREPLACE"));

    private static readonly NameTable RemapFlags = new(
        "MREMAP_???",
        new(0x1, "MREMAP_MAYMOVE"),
        new(0x2, "MREMAP_FIXED"),
        new(0x4, "MREMAP_DONTUNMAP"));

    private static readonly NameTable Advice = new(
        "MADV_???",
        new(0, "MADV_NORMAL"),
        new(1, "MADV_RANDOM"),
        new(2, "MADV_SEQUENTIAL"),
        new(3, "MADV_WILLNEED"),
        new(4, "MADV_DONTNEED"),
        new(8, "MADV_FREE"),
        new(9, "MADV_REMOVE"),
        new(10, "MADV_DONTFORK"),
        new(11, "MADV_DOFORK"),
        new(12, "MADV_MERGEABLE"),
        new(13, "MADV_UNMERGEABLE"),
        new(14, "MADV_HUGEPAGE"),
        new(15, "MADV_NOHUGEPAGE"),
        new(16, "MADV_DONTDUMP"),
        new(17, "MADV_DODUMP"),
        new(18, "MADV_WIPEONFORK"),
        new(19, "MADV_KEEPONFORK"),
        new(20, "MADV_COLD"),
        new(21, "MADV_PAGEOUT"),
        new(22, "MADV_POPULATE_READ"),
        new(23, "MADV_POPULATE_WRITE"),
        new(24, "MADV_DONTNEED_LOCKED"),
        new(25, "MADV_COLLAPSE"),
        new(100, "MADV_HWPOISON"),
        new(101, "MADV_SOFT_OFFLINE"));

    /// <summary>msync's flags, in strace's order (MS_SYNC first).</summary>
    private static readonly NameTable SyncFlags = new(
        "MS_???",
        new(0x4, "MS_SYNC"),
        new(0x1, "MS_ASYNC"),
        new(0x2, "MS_INVALIDATE"));

    private static readonly NameTable LockAllFlags = new(
        "MCL_???",
        new(0x1, "MCL_CURRENT"),
        new(0x2, "MCL_FUTURE"),
        new(0x4, "MCL_ONFAULT"));

    private static readonly NameTable Lock2Flags = new(
        "MLOCK_???",
        new Named(0x1, "MLOCK_ONFAULT"));

    private static readonly NameTable MemfdFlags = new(
        "MFD_???",
        new(0x1, "MFD_CLOEXEC"),
        new(0x2, "MFD_ALLOW_SEALING"),
        new(0x4, "MFD_HUGETLB"));

    /// <summary>mmap's flags: the type (<c>MAP_PRIVATE</c>, <c>MAP_FILE</c> for 0), the flags, then a huge page size as <c>21&lt;&lt;MAP_HUGE_SHIFT</c>.</summary>
    public static void AppendMapFlags(StringBuilder sb, ulong flags)
    {
        MapFlags.AppendValue(sb, flags & MAP_TYPE);
        flags &= ~MAP_TYPE;
        ulong huge = flags & MAP_HUGE_MASK;
        flags &= ~MAP_HUGE_MASK;
        if (flags != 0)
        {
            sb.Append('|');
            MapFlags.AppendFlags(sb, flags, comment: false);
        }
        if (huge != 0)
        {
            sb.Append('|').Append(huge >> MAP_HUGE_SHIFT).Append("<<MAP_HUGE_SHIFT");
        }
    }

    public static void AppendProtection(StringBuilder sb, ulong prot) => Protection.AppendFlags(sb, prot);

    /// <summary>memfd_create's flags, with a huge page size as <c>21&lt;&lt;MFD_HUGE_SHIFT</c>.</summary>
    public static void AppendMemfdFlags(StringBuilder sb, ulong flags)
    {
        flags &= 0xffffffff;
        ulong huge = flags & MFD_HUGE_MASK;
        flags &= ~MFD_HUGE_MASK;
        if (flags != 0 || huge == 0)
        {
            MemfdFlags.AppendFlags(sb, flags);
        }
        if (huge != 0)
        {
            if (flags != 0)
            {
                sb.Append('|');
            }
            sb.Append(huge >> MFD_HUGE_SHIFT).Append("<<MFD_HUGE_SHIFT");
        }
    }

    private static bool ReturnsAddress(StringBuilder sb, ReadOnlySpan<ulong> args, long ret)
    {
        FlagText.Hex(sb, (ulong)ret);
        return true;
    }

    internal static void Register(DecoderRegistry r)
    {
        ArgumentRenderer address0 = static (sb, a) => FlagText.Address(sb, a[0]);
        r.For("mmap")
            .Arg(0, address0)
            .Arg(1, static (sb, a) => FlagText.Unsigned(sb, a[1]))
            .Arg(2, static (sb, a) => AppendProtection(sb, a[2]))
            .Arg(3, static (sb, a) => AppendMapFlags(sb, a[3]))
            .Arg(4, static (sb, a) => sb.Append((int)a[4]))
            .Arg(5, static (sb, a) => FlagText.Hex(sb, a[5]))
            .Returns(ReturnsAddress);
        r.For("mprotect").Arg(0, address0).Arg(2, static (sb, a) => AppendProtection(sb, a[2]));
        r.For("pkey_mprotect").Arg(0, address0).Arg(2, static (sb, a) => AppendProtection(sb, a[2]));
        r.For("munmap").Arg(0, address0);
        r.For("brk").Arg(0, address0).Returns(ReturnsAddress);
        // The new address means something only with both MREMAP_MAYMOVE and MREMAP_FIXED.
        r.For("mremap")
            .Arg(0, address0)
            .Arg(3, static (sb, a) => RemapFlags.AppendFlags(sb, a[3]))
            .Arg(4, static (sb, a) => FlagText.Address(sb, a[4]))
            .Printed(static (a, order) => ArgumentDecoders.Sequence(order, (a[3] & (MREMAP_MAYMOVE | MREMAP_FIXED)) == (MREMAP_MAYMOVE | MREMAP_FIXED) ? 5 : 4))
            .Returns(ReturnsAddress);
        r.For("madvise").Arg(0, address0).Arg(2, static (sb, a) => Advice.AppendValue(sb, a[2] & 0xffffffff));
        r.For("msync").Arg(0, address0).Arg(2, static (sb, a) => SyncFlags.AppendFlags(sb, a[2] & 0xffffffff));
        r.For("mlock").Arg(0, address0);
        r.For("munlock").Arg(0, address0);
        r.For("mlock2").Arg(0, address0).Arg(2, static (sb, a) => Lock2Flags.AppendFlags(sb, a[2] & 0xffffffff));
        r.For("mlockall").Arg(0, static (sb, a) => LockAllFlags.AppendFlags(sb, a[0] & 0xffffffff));
        r.For("mincore").Arg(0, address0);
        r.For("memfd_create").Arg(1, static (sb, a) => AppendMemfdFlags(sb, a[1]));
    }
}
