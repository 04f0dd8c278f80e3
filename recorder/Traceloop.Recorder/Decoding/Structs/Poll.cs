using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct pollfd arrays of poll and ppoll (argument 0; nfds elements of 8 bytes): the events at entry,
/// <c>[{fd=3, events=POLLIN}, {fd=-1}]</c>, and the revents strace shows after the return value,
/// <c>= 1 ([{fd=3, revents=POLLIN}])</c>, with ppoll's remaining time, <c>left {tv_sec=0, tv_nsec=999}</c>.
/// </summary>
/// <remarks>
/// Capture the array at entry and again at exit (nfds * 8 bytes, capped); for ppoll also the
/// timespec of argument 2 at exit. strace shows at most 32 elements (its -s), then <c>...</c>.
/// </remarks>
internal static class Poll
{
    public const int PollfdSize = 8;

    /// <summary>strace's max_strlen, which also bounds the arrays it prints.</summary>
    public const int MaxPrinted = 32;

    private static readonly NameTable Events = new(
        "POLL???",
        new(0x1, "POLLIN"),
        new(0x2, "POLLPRI"),
        new(0x4, "POLLOUT"),
        new(0x8, "POLLERR"),
        new(0x10, "POLLHUP"),
        new(0x20, "POLLNVAL"),
        new(0x40, "POLLRDNORM"),
        new(0x80, "POLLRDBAND"),
        new(0x100, "POLLWRNORM"),
        new(0x200, "POLLWRBAND"),
        new(0x400, "POLLMSG"),
        new(0x1000, "POLLREMOVE"),
        new(0x2000, "POLLRDHUP"),
        new(0x8000, "POLL_BUSY_LOOP"));

    /// <summary>The array as passed in, <paramref name="nfds"/> elements (argument 1).</summary>
    public static bool TryAppendFds(StringBuilder sb, ReadOnlySpan<byte> data, ulong nfds)
    {
        if (nfds == 0)
        {
            sb.Append("[]");
            return true;
        }
        if (!Has(data, 0, PollfdSize))
        {
            return false;
        }
        sb.Append('[');
        for (ulong i = 0; i < nfds; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            int offset = (int)i * PollfdSize;
            if (i >= MaxPrinted || !Has(data, offset, PollfdSize))
            {
                sb.Append("...");
                break;
            }
            int fd = I32(data, offset);
            sb.Append("{fd=").Append(fd);
            if (fd >= 0)
            {
                sb.Append(", events=");
                Events.AppendFlags(sb, U16(data, offset + 4));
            }
            sb.Append('}');
        }
        sb.Append(']');
        return true;
    }

    /// <summary>
    /// What strace prints after a successful poll's or ppoll's return value, space included:
    /// <c> ([{fd=3, revents=POLLIN}])</c>, <c> (Timeout)</c> for 0, and for ppoll
    /// <c> ([...], left {tv_sec=0, tv_nsec=999})</c> when <paramref name="left"/> (the timespec at exit) is
    /// given. Returns false, appending nothing, when there is nothing to add (no array captured).
    /// </summary>
    public static bool TryAppendResult(StringBuilder sb, ReadOnlySpan<byte> data, ulong nfds, long ret, ReadOnlySpan<byte> left = default)
    {
        if (ret == 0)
        {
            sb.Append(" (Timeout)");
            return true;
        }
        if (ret < 0 || nfds == 0 || !Has(data, 0, PollfdSize))
        {
            return false;
        }
        sb.Append(" (");
        bool any = false;
        int printed = 0;
        for (ulong i = 0; i < nfds; i++)
        {
            int offset = (int)i * PollfdSize;
            if (!Has(data, offset, PollfdSize))
            {
                // Not captured: strace prints what it could not read, so does this.
                sb.Append(any ? ", ..." : "[...");
                any = true;
                break;
            }
            ushort revents = U16(data, offset + 6);
            if (revents == 0)
            {
                continue;
            }
            sb.Append(any ? ", " : "[");
            any = true;
            if (printed >= MaxPrinted)
            {
                sb.Append("...");
                break;
            }
            sb.Append("{fd=").Append(I32(data, offset)).Append(", revents=");
            Events.AppendFlags(sb, revents, comment: false);
            sb.Append('}');
            printed++;
        }
        if (any)
        {
            sb.Append(']');
        }
        if (!left.IsEmpty)
        {
            sb.Append(any ? ", left " : "left ");
            Time.TryAppendTimespec(sb, left);
        }
        sb.Append(')');
        return true;
    }
}
