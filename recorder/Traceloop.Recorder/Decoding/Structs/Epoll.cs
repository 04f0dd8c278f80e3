using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct epoll_event, packed to 12 bytes on x86-64: epoll_ctl's (argument 3, entry),
/// <c>{events=EPOLLIN|EPOLLET, data={u32=3, u64=3}}</c>, and the arrays epoll_wait and epoll_pwait
/// (argument 1, exit) fill, as many as the return value: <c>[{events=EPOLLIN, data={u32=3, u64=3}}]</c>.
/// </summary>
internal static class Epoll
{
    public const int EventSize = 12;

    /// <summary>epoll_ctl's ops that pass an event (EPOLL_CTL_DEL, 2, ignores it).</summary>
    public const int CtlAdd = 1, CtlMod = 3;

    private static readonly NameTable Events = new(
        "EPOLL???",
        new(0x1, "EPOLLIN"),
        new(0x2, "EPOLLPRI"),
        new(0x4, "EPOLLOUT"),
        new(0x8, "EPOLLERR"),
        new(0x10, "EPOLLHUP"),
        new(0x20, "EPOLLNVAL"),
        new(0x40, "EPOLLRDNORM"),
        new(0x80, "EPOLLRDBAND"),
        new(0x100, "EPOLLWRNORM"),
        new(0x200, "EPOLLWRBAND"),
        new(0x400, "EPOLLMSG"),
        new(0x2000, "EPOLLRDHUP"),
        new(0x10000000, "EPOLLEXCLUSIVE"),
        new(0x20000000, "EPOLLWAKEUP"),
        new(0x40000000, "EPOLLONESHOT"),
        new(0x80000000, "EPOLLET"));

    public static bool TryAppendEvent(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, 4))
        {
            return false;
        }
        sb.Append("{events=");
        Events.AppendFlags(sb, U32(data, 0));
        if (!Has(data, 4, 8))
        {
            return Cut(sb);
        }
        ulong u64 = U64(data, 4);
        sb.Append(", data={u32=").Append((uint)u64).Append(", u64=").Append(u64).Append("}}");
        return true;
    }

    /// <summary><paramref name="count"/> events (the return value); strace shows at most 32.</summary>
    public static bool TryAppendEvents(StringBuilder sb, ReadOnlySpan<byte> data, long count)
    {
        if (count <= 0)
        {
            sb.Append("[]");
            return true;
        }
        if (!Has(data, 0, EventSize))
        {
            return false;
        }
        sb.Append('[');
        for (long i = 0; i < count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            int offset = (int)i * EventSize;
            if (i >= Poll.MaxPrinted || !Has(data, offset, EventSize))
            {
                sb.Append("...");
                break;
            }
            TryAppendEvent(sb, data.Slice(offset, EventSize));
        }
        sb.Append(']');
        return true;
    }
}
