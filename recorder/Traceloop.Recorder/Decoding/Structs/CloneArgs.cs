using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct clone_args of clone3 (argument 0, entry; its size is argument 1), as strace prints it:
/// <c>{flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f..., stack_size=0x10000}</c>, the
/// pointers only when a flag makes the kernel use them, and at exit what the kernel stored through
/// them: <c> => {pidfd=[3], parent_tid=[4242]}</c>.
/// </summary>
/// <remarks>
/// strace prints the set_tid array's elements, which live elsewhere in user memory; this prints
/// its pointer. Capture min(size, 88) bytes at entry; for a larger size strace also prints the
/// bytes beyond 88 (up to a page) when any is non-zero, <c>/* bytes 88..95 */ "\x00..."</c>: those
/// are rendered when captured, and a <c>...</c> stands for them when not.
/// </remarks>
internal static class CloneArgs
{
    /// <summary>CLONE_ARGS_SIZE_VER2: the struct strace 6.1 knows.</summary>
    public const int Size = 88;

    /// <summary>CLONE_ARGS_SIZE_VER0: up to tls; strace prints the pointer for anything smaller.</summary>
    public const int MinSize = 64;

    private const ulong CLONE_PIDFD = 0x1000;
    private const ulong CLONE_SETTLS = 0x80000;
    private const ulong CLONE_PARENT_SETTID = 0x100000;
    private const ulong CLONE_CHILD_CLEARTID = 0x200000;
    private const ulong CLONE_CHILD_SETTID = 0x1000000;
    private const ulong CLONE_INTO_CGROUP = 0x200000000;

    private static readonly NameTable Flags = BuildFlags();

    /// <summary>
    /// Renders the struct clone3 was given <paramref name="size"/> bytes of. False, with nothing appended,
    /// when strace would print the pointer (a size below 64) or fewer than 64 bytes were captured.
    /// </summary>
    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data, ulong size)
    {
        if (size < MinSize || data.Length < MinSize)
        {
            return false;
        }
        int fetched = (int)Math.Min(size, Size);
        ulong flags = U64(data, 0);
        sb.Append("{flags=");
        Flags.AppendFlags(sb, flags);
        if ((flags & CLONE_PIDFD) != 0)
        {
            sb.Append(", pidfd=");
            FlagText.Address(sb, U64(data, 8));
        }
        if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) != 0)
        {
            sb.Append(", child_tid=");
            FlagText.Address(sb, U64(data, 16));
        }
        if ((flags & CLONE_PARENT_SETTID) != 0)
        {
            sb.Append(", parent_tid=");
            FlagText.Address(sb, U64(data, 24));
        }
        ulong exitSignal = U64(data, 32);
        sb.Append(", exit_signal=");
        if (exitSignal < int.MaxValue)
        {
            if (SignalArguments.Name((long)exitSignal) is { } name)
            {
                sb.Append(name);
            }
            else
            {
                sb.Append(exitSignal);
            }
        }
        else
        {
            sb.Append(exitSignal);
        }
        sb.Append(", stack=");
        FlagText.Address(sb, U64(data, 40));
        sb.Append(", stack_size=");
        FlagText.Hex(sb, U64(data, 48));
        if ((flags & CLONE_SETTLS) != 0)
        {
            sb.Append(", tls=");
            FlagText.Address(sb, U64(data, 56));
        }
        if (fetched > MinSize)
        {
            if (data.Length < fetched)
            {
                return Cut(sb);
            }
            // strace reads min(size, 88) bytes into a zeroed struct.
            Span<byte> tail = stackalloc byte[Size];
            tail.Clear();
            data[..fetched].CopyTo(tail);
            ulong setTid = U64(tail, 64);
            ulong setTidSize = U64(tail, 72);
            if (setTid != 0 || setTidSize != 0)
            {
                sb.Append(", set_tid=");
                FlagText.Address(sb, setTid);
                sb.Append(", set_tid_size=").Append(setTidSize);
            }
            ulong cgroup = U64(tail, 80);
            if (fetched > 80 && (cgroup != 0 || (flags & CLONE_INTO_CGROUP) != 0))
            {
                sb.Append(", cgroup=").Append(cgroup);
            }
        }
        if (size > Size)
        {
            AppendNonzeroTail(sb, data, size);
        }
        sb.Append('}');
        return true;
    }

    /// <summary>
    /// What strace appends after the struct when clone3 succeeded with CLONE_PIDFD or CLONE_PARENT_SETTID:
    /// the values the kernel stored, <c> => {pidfd=[3], parent_tid=[4242]}</c>. Pass what was read at exit
    /// through the pidfd and parent_tid pointers; null for a flag that was not set.
    /// </summary>
    public static void AppendResult(StringBuilder sb, int? pidfd, int? parentTid)
    {
        if (pidfd is null && parentTid is null)
        {
            return;
        }
        sb.Append(" => {");
        if (pidfd is int fd)
        {
            sb.Append("pidfd=[").Append(fd).Append(']');
        }
        if (parentTid is int tid)
        {
            if (pidfd is not null)
            {
                sb.Append(", ");
            }
            sb.Append("parent_tid=[").Append(tid).Append(']');
        }
        sb.Append('}');
    }

    // strace's print_nonzero_bytes: nothing if the bytes beyond the known struct (up to a page) are
    // all zero; a tail that was not captured whole is cut like any other field.
    private static void AppendNonzeroTail(StringBuilder sb, ReadOnlySpan<byte> data, ulong size)
    {
        int end = (int)Math.Min(size, 4096);
        if (data.Length < end)
        {
            sb.Append(", ...");
            return;
        }
        ReadOnlySpan<byte> tail = data[Size..end];
        if (tail.IndexOfAnyExcept((byte)0) < 0)
        {
            return;
        }
        sb.Append(", /* bytes ").Append(Size).Append("..").Append(end - 1).Append(" */ ");
        AppendHexQuoted(sb, tail);
    }

    private static NameTable BuildFlags()
    {
        var entries = new List<Named>(CloneFlags.Flags.Entries.ToArray())
        {
            new(0x80, "CLONE_NEWTIME"),
            new(0x100000000, "CLONE_CLEAR_SIGHAND"),
            new(CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP"),
        };
        return new NameTable("CLONE_???", [.. entries]);
    }
}
