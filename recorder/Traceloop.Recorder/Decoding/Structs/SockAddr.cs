using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// Socket addresses as strace's <c>decode_sockaddr</c> prints them, and the socklen_t that comes with them:
/// <c>{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}</c>,
/// <c>{sa_family=AF_UNIX, sun_path=@"abstract"}</c>, <c>[128 => 16]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Passed in (connect, bind, sendto): the address is argument 1 (sendto: 4) and its length the next
/// argument; capture min(addrlen, 128) bytes at entry. Returned (accept, accept4, getsockname,
/// getpeername: argument 1 with the socklen_t* in argument 2; recvfrom: 4 and 5): capture
/// *addrlen at entry and again at exit, and at exit min(*addrlen, 128) bytes of the address. strace
/// prints the address with min(before, after) bytes (the kernel writes no more than the buffer
/// holds but reports the full length) and the length as <c>[before => after]</c>, or
/// <c>[after]</c> when they are equal. When the call fails it prints the address pointer and
/// <c>[before]</c>.
/// </para>
/// <para>
/// Interfaces are printed by index (<c>sin6_scope_id=2</c>): strace resolves a link-local scope to
/// <c>if_nametoindex("eth0")</c> in its own network namespace, which says nothing about the
/// container's. Families strace has a dedicated printer for that this class lacks (AF_PACKET,
/// AF_BLUETOOTH, AF_ALG, AF_TIPC, AF_XDP and a few more) are not rendered when the address is long
/// enough for that printer: the caller prints the pointer rather than something strace would not.
/// </para>
/// </remarks>
internal static class SockAddr
{
    /// <summary>sizeof(struct sockaddr_storage): strace reads no more than this.</summary>
    public const int MaxSize = 128;

    private const int AF_UNIX = 1;
    private const int AF_INET = 2;
    private const int AF_INET6 = 10;
    private const int AF_NETLINK = 16;
    private const int AF_VSOCK = 40;
    private const int SunPathSize = 108;
    private const int Sin6MinLength = 24;

    private static readonly NameTable VsockCids = new(
        "VMADDR_CID_???",
        new(0xffffffff, "VMADDR_CID_ANY"),
        new(0, "VMADDR_CID_HYPERVISOR"),
        new(1, "VMADDR_CID_LOCAL"),
        new(2, "VMADDR_CID_HOST"));

    private static readonly NameTable VsockPorts = new("VMADDR_PORT_???", new Named(0xffffffff, "VMADDR_PORT_ANY"));

    private static readonly NameTable VsockFlags = new("VMADDR_FLAG_???", new Named(1, "VMADDR_FLAG_TO_HOST"));

    /// <summary>
    /// Renders an address of <paramref name="addrlen"/> bytes (for a returned address: min(before, after)).
    /// False, with nothing appended, when strace would print the pointer instead: a length below 2,
    /// fewer than 2 bytes captured, or a family with a printer this class does not have.
    /// </summary>
    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data, int addrlen)
    {
        if (addrlen < 2 || data.Length < 2)
        {
            return false;
        }
        int len = Math.Min(addrlen, MaxSize);
        ushort family = U16(data, 0);
        int needed = len <= 2 ? 2 : BytesRead(family, len);
        if (needed < 0)
        {
            return false;
        }
        sb.Append("{sa_family=");
        SocketConstants.AppendFamily(sb, family);
        if (len <= 2)
        {
            sb.Append('}');
            return true;
        }
        if (data.Length < Math.Min(needed, len))
        {
            // The capture stopped before the bytes this family's printer reads.
            return Cut(sb);
        }
        // As strace does, read the address from a zeroed buffer: a printer may look a little past
        // the length (sun_path's terminator, sin6_scope_id of a 25-byte address).
        Span<byte> sa = stackalloc byte[MaxSize + 4];
        sa.Clear();
        data[..Math.Min(data.Length, len)].CopyTo(sa);
        sb.Append(", ");
        switch (family)
        {
            case AF_UNIX when len >= 3:
                AppendUnix(sb, sa, len);
                break;
            case AF_INET when len >= 16:
                sb.Append("sin_port=htons(").Append(U16BigEndian(sa, 2)).Append("), sin_addr=");
                AppendInetAddr(sb, sa.Slice(4, 4));
                break;
            case AF_INET6 when len >= Sin6MinLength:
                AppendInet6(sb, sa, len);
                break;
            case AF_NETLINK when len >= 12:
                AppendNetlink(sb, sa);
                break;
            case AF_VSOCK when len >= 16:
                AppendVsock(sb, sa);
                break;
            default:
                sb.Append("sa_data=");
                AppendQuoted(sb, sa[2..len]);
                break;
        }
        sb.Append('}');
        return true;
    }

    /// <summary>
    /// A value-result socklen_t as strace prints it at exit: <c>[16]</c>, or <c>[128 => 16]</c> when the
    /// call changed it. For a failed call pass the same value twice.
    /// </summary>
    public static void AppendLength(StringBuilder sb, int before, int after)
    {
        sb.Append('[');
        if (before != after)
        {
            sb.Append(before).Append(" => ");
        }
        sb.Append(after).Append(']');
    }

    /// <summary><c>inet_addr("10.0.0.1")</c> for four bytes in network order.</summary>
    public static void AppendInetAddr(StringBuilder sb, ReadOnlySpan<byte> addr)
    {
        sb.Append("inet_addr(\"");
        AppendIPv4(sb, addr);
        sb.Append("\")");
    }

    /// <summary>An IPv6 address as glibc's inet_ntop writes it: <c>2001:db8::1</c>, <c>::ffff:127.0.0.1</c>.</summary>
    public static void AppendIPv6(StringBuilder sb, ReadOnlySpan<byte> addr)
    {
        Span<int> words = stackalloc int[8];
        for (int i = 0; i < 8; i++)
        {
            words[i] = (addr[2 * i] << 8) | addr[(2 * i) + 1];
        }
        // The longest run of zero words (the first of equal ones), if at least two long, becomes "::".
        int bestBase = -1, bestLength = 0, curBase = -1, curLength = 0;
        for (int i = 0; i < 8; i++)
        {
            if (words[i] == 0)
            {
                if (curBase < 0)
                {
                    curBase = i;
                    curLength = 0;
                }
                curLength++;
                if (curLength > bestLength)
                {
                    bestBase = curBase;
                    bestLength = curLength;
                }
            }
            else
            {
                curBase = -1;
            }
        }
        if (bestLength < 2)
        {
            bestBase = -1;
        }
        Span<char> hex = stackalloc char[4];
        for (int i = 0; i < 8; i++)
        {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLength)
            {
                if (i == bestBase)
                {
                    sb.Append(':');
                }
                continue;
            }
            if (i != 0)
            {
                sb.Append(':');
            }
            // An IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) address ends in dotted quad.
            if (i == 6 && bestBase == 0 && (bestLength == 6 || (bestLength == 5 && words[5] == 0xffff)))
            {
                AppendIPv4(sb, addr.Slice(12, 4));
                return;
            }
            words[i].TryFormat(hex, out int written, "x", System.Globalization.CultureInfo.InvariantCulture);
            sb.Append(hex[..written]);
        }
        if (bestBase >= 0 && bestBase + bestLength == 8)
        {
            sb.Append(':');
        }
    }

    // How many bytes of the address the family's printer reads; -1 for a family strace prints with
    // a printer this class lacks, when the address is long enough for that printer.
    private static int BytesRead(ushort family, int len) => family switch
    {
        AF_UNIX => Math.Min(len, 2 + SunPathSize),
        AF_INET => len >= 16 ? 16 : len,
        AF_INET6 => len > Sin6MinLength ? 28 : len,
        AF_NETLINK => len >= 12 ? 12 : len,
        AF_VSOCK => len >= 16 ? 16 : len,
        _ => UndecodedMinimum(family) is int min && len >= min ? -1 : len,
    };

    // The minimum lengths of strace's printers for the families not rendered here (sa_printers[] in sockaddr.c).
    private static int? UndecodedMinimum(ushort family) => family switch
    {
        3 => 16,  // AF_AX25
        4 => 16,  // AF_IPX
        9 => 18,  // AF_X25
        17 => 20, // AF_PACKET
        30 => 16, // AF_TIPC
        31 => 3,  // AF_BLUETOOTH
        33 => 36, // AF_RXRPC
        36 => 20, // AF_IEEE802154
        38 => 89, // AF_ALG
        39 => 16, // AF_NFC
        42 => 12, // AF_QIPCRTR
        44 => 16, // AF_XDP
        45 => 12, // AF_MCTP
        _ => null,
    };

    private static void AppendUnix(StringBuilder sb, ReadOnlySpan<byte> sa, int len)
    {
        // strace copies min(len, sizeof(struct sockaddr_un)) bytes into a zeroed buffer; a path
        // ends at its NUL or at the end of those bytes.
        int pathLength = Math.Min(len, 2 + SunPathSize) - 2;
        ReadOnlySpan<byte> path = sa.Slice(2, pathLength);
        sb.Append("sun_path=");
        if (path.Length > 0 && path[0] != 0)
        {
            AppendUntilNul(sb, path);
        }
        else
        {
            // Abstract: a leading NUL, then bytes that are all part of the name.
            sb.Append('@');
            AppendQuoted(sb, path.Length > 0 ? path[1..] : path);
        }
    }

    private static void AppendInet6(StringBuilder sb, ReadOnlySpan<byte> sa, int len)
    {
        sb.Append("sin6_port=htons(").Append(U16BigEndian(sa, 2)).Append("), sin6_flowinfo=htonl(")
            .Append(U32BigEndian(sa, 4)).Append("), inet_pton(AF_INET6, \"");
        AppendIPv6(sb, sa.Slice(8, 16));
        sb.Append("\", &sin6_addr)");
        if (len > Sin6MinLength)
        {
            sb.Append(", sin6_scope_id=").Append(U32(sa, 24));
        }
    }

    private static void AppendNetlink(StringBuilder sb, ReadOnlySpan<byte> sa)
    {
        ushort pad = U16(sa, 2);
        if (pad != 0)
        {
            sb.Append("nl_pad=");
            FlagText.Hex(sb, pad);
            sb.Append(", ");
        }
        sb.Append("nl_pid=").Append(I32(sa, 4)).Append(", nl_groups=");
        AppendZeroPaddedHex(sb, U32(sa, 8), 8);
    }

    private static void AppendVsock(StringBuilder sb, ReadOnlySpan<byte> sa)
    {
        ushort reserved = U16(sa, 2);
        if (reserved != 0)
        {
            sb.Append("svm_reserved1=");
            FlagText.Hex(sb, reserved);
            sb.Append(", ");
        }
        sb.Append("svm_cid=");
        AppendValueOrHex(sb, VsockCids, U32(sa, 8));
        sb.Append(", svm_port=");
        AppendValueOrHex(sb, VsockPorts, U32(sa, 4));
        sb.Append(", svm_flags=");
        VsockFlags.AppendFlags(sb, sa[12]);
        ReadOnlySpan<byte> zero = sa.Slice(13, 3);
        if (zero.IndexOfAnyExcept((byte)0) >= 0)
        {
            sb.Append(", svm_zero=");
            AppendHexQuoted(sb, zero);
        }
    }

    // printxval with no default: the name, or plain hex.
    private static void AppendValueOrHex(StringBuilder sb, NameTable table, ulong value)
    {
        if (table.Find(value) is { } name)
        {
            sb.Append(name);
        }
        else
        {
            FlagText.Hex(sb, value);
        }
    }

    // C's %#0*x: zero padded to the width, the 0x prefix included in it and left out for zero.
    private static void AppendZeroPaddedHex(StringBuilder sb, uint value, int width)
    {
        Span<char> digits = stackalloc char[8];
        value.TryFormat(digits, out int written, "x", System.Globalization.CultureInfo.InvariantCulture);
        int prefix = value == 0 ? 0 : 2;
        if (prefix != 0)
        {
            sb.Append("0x");
        }
        sb.Append('0', Math.Max(0, width - prefix - written)).Append(digits[..written]);
    }

    private static void AppendIPv4(StringBuilder sb, ReadOnlySpan<byte> addr) =>
        sb.Append(addr[0]).Append('.').Append(addr[1]).Append('.').Append(addr[2]).Append('.').Append(addr[3]);
}
