using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// struct msghdr of sendmsg (argument 1, entry) and recvmsg (argument 1, exit), with the address,
/// the iovec data and the control messages it points to, as strace's <c>print_struct_msghdr</c>:
/// <c>{msg_name={sa_family=AF_INET, ...}, msg_namelen=28 => 16, msg_iov=[{iov_base="hi", iov_len=2}], msg_iovlen=1,
/// msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}], msg_controllen=24, msg_flags=0}</c>.
/// </summary>
/// <remarks>
/// <para>The payload is one composite capture, little-endian, unpadded:</para>
/// <code>
/// struct user_msghdr hdr;    // 56 bytes as in user memory (at exit for recvmsg: the kernel's
///                            // msg_namelen, msg_controllen and msg_flags)
/// u32 name_len;              // bytes of msg_name that follow: min(msg_namelen, 128), 0 when NULL
/// u8  name[name_len];
/// (the iovec payload of <see cref="IoVec"/>, for msg_iov and msg_iovlen)
/// u32 control_len;           // bytes of msg_control that follow: min(msg_controllen, cap)
/// u8  control[control_len];
/// </code>
/// <para>
/// recvmsg also needs msg_namelen as it was at entry (a u32 at offset 8 of the msghdr, read at
/// entry): strace prints <c>msg_namelen=28 => 16</c> and the address with the smaller length. When
/// recvmsg fails strace prints only <c>{msg_namelen=28}</c> (see <see cref="AppendFailedRecv"/>).
/// </para>
/// </remarks>
internal static class MsgHdr
{
    public const int Size = 56;

    /// <summary>Bytes of msg_control worth capturing: a few control messages (SCM_RIGHTS, credentials, timestamps).</summary>
    public const int ControlBytes = 256;

    private const int CmsgHeaderSize = 16;
    private const int SOL_IP = 0;
    private const int SOL_SOCKET = 1;

    // strace's fallback differs here ("SOL_???" in a cmsg, "SOL_??" for setsockopt); the names do not.
    private static readonly NameTable Levels = new("SOL_???", SocketConstants.LevelNames);

    private static readonly NameTable SocketTypes = new(
        "SCM_???",
        new(1, "SCM_RIGHTS"),
        new(2, "SCM_CREDENTIALS"),
        new(3, "SCM_SECURITY"),
        new(41, "SO_WIFI_STATUS"),
        new(61, "SO_TXTIME"),
        new(29, "SO_TIMESTAMP_OLD"),
        new(35, "SO_TIMESTAMPNS_OLD"),
        new(37, "SO_TIMESTAMPING_OLD"),
        new(63, "SO_TIMESTAMP_NEW"),
        new(64, "SO_TIMESTAMPNS_NEW"),
        new(65, "SO_TIMESTAMPING_NEW"),
        new(0x36, "SCM_TIMESTAMPING_OPT_STATS"),
        new(0x3a, "SCM_TIMESTAMPING_PKTINFO"));

    private static readonly NameTable IpTypes = new(
        "IP_???",
        new(1, "IP_TOS"),
        new(2, "IP_TTL"),
        new(6, "IP_RECVOPTS"),
        new(7, "IP_RETOPTS"),
        new(8, "IP_PKTINFO"),
        new(11, "IP_RECVERR"),
        new(20, "IP_ORIGDSTADDR"),
        new(23, "IP_CHECKSUM"),
        new(3, "SCM_SECURITY"));

    /// <summary>
    /// Renders the composite payload. <paramref name="nameLengthAtEntry"/> is recvmsg's msg_namelen before
    /// the call (null for sendmsg); <paramref name="dataSize"/> the bytes transferred for recvmsg (its
    /// return value), -1 for sendmsg.
    /// </summary>
    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data, int? nameLengthAtEntry, long dataSize)
    {
        if (!Has(data, 0, Size))
        {
            return false;
        }
        ulong namePointer = U64(data, 0);
        int nameLength = I32(data, 8);
        ulong iovPointer = U64(data, 16);
        ulong iovLength = U64(data, 24);
        ulong controlPointer = U64(data, 32);
        ulong controlLength = U64(data, 40);
        uint flags = U32(data, 48);
        ReadOnlySpan<byte> rest = data[Size..];

        ReadOnlySpan<byte> name = TakeBlock(ref rest);
        int shownLength = nameLengthAtEntry is int before && nameLength > before ? before : nameLength;
        sb.Append("{msg_name=");
        if (namePointer == 0 || shownLength < 2 || !SockAddr.TryAppend(sb, name, shownLength))
        {
            FlagText.Address(sb, namePointer);
        }
        sb.Append(", msg_namelen=");
        if (nameLengthAtEntry is int entry && entry != nameLength)
        {
            sb.Append(entry).Append(" => ");
        }
        sb.Append(nameLength);

        sb.Append(", msg_iov=");
        int iovBlock = IoVec.Measure(rest);
        if (iovPointer == 0 || !IoVec.TryAppend(sb, rest[..iovBlock], iovLength, dataSize))
        {
            FlagText.Address(sb, iovPointer);
        }
        rest = rest[iovBlock..];
        sb.Append(", msg_iovlen=").Append(iovLength);

        if (controlLength != 0)
        {
            sb.Append(", msg_control=");
            AppendControl(sb, TakeBlock(ref rest), controlPointer, controlLength);
        }
        sb.Append(", msg_controllen=").Append(controlLength).Append(", msg_flags=");
        SocketConstants.AppendMessageFlags(sb, flags);
        sb.Append('}');
        return true;
    }

    /// <summary>What strace prints for the msghdr of a recvmsg that failed: <c>{msg_namelen=16}</c>, the length it had at entry.</summary>
    public static void AppendFailedRecv(StringBuilder sb, int nameLengthAtEntry) =>
        sb.Append("{msg_namelen=").Append(nameLengthAtEntry).Append('}');

    // A u32 length and that many bytes; what is there of them when the payload was cut.
    private static ReadOnlySpan<byte> TakeBlock(ref ReadOnlySpan<byte> rest)
    {
        if (!Has(rest, 0, 4))
        {
            rest = default;
            return default;
        }
        uint length = U32(rest, 0);
        int available = (int)Math.Min(length, (uint)(rest.Length - 4));
        ReadOnlySpan<byte> block = rest.Slice(4, available);
        rest = rest[(4 + available)..];
        return block;
    }

    // strace's decode_msg_control: the control messages one after another, each padded to 8 bytes.
    private static void AppendControl(StringBuilder sb, ReadOnlySpan<byte> control, ulong pointer, ulong controlLength)
    {
        if (controlLength < CmsgHeaderSize || control.Length < CmsgHeaderSize)
        {
            FlagText.Address(sb, pointer);
            return;
        }
        ReadOnlySpan<byte> buf = control[..(int)Math.Min((ulong)control.Length, controlLength)];
        int bufLength = buf.Length;
        int position = 0;
        sb.Append('[');
        while (bufLength >= CmsgHeaderSize)
        {
            ReadOnlySpan<byte> cmsg = buf[position..];
            ulong cmsgLength = U64(cmsg, 0);
            int level = I32(cmsg, 8);
            int type = I32(cmsg, 12);
            if (position != 0)
            {
                sb.Append(", ");
            }
            sb.Append("{cmsg_len=").Append(cmsgLength).Append(", cmsg_level=");
            Levels.AppendValue(sb, (uint)level);
            sb.Append(", cmsg_type=");
            int length = (int)Math.Min(cmsgLength, (ulong)bufLength);
            AppendTypeAndData(sb, level, type, cmsg[CmsgHeaderSize..Math.Max(length, CmsgHeaderSize)]);
            sb.Append('}');
            if (length < CmsgHeaderSize)
            {
                bufLength -= CmsgHeaderSize;
                break;
            }
            ulong padded = (cmsgLength + 7) & ~7UL;
            if (padded >= (ulong)bufLength)
            {
                bufLength = 0;
                break;
            }
            position += (int)padded;
            bufLength -= (int)padded;
        }
        if (bufLength != 0)
        {
            sb.Append(", ... /* ");
            FlagText.Hex(sb, pointer + (ulong)(buf.Length - bufLength));
            sb.Append(" */");
        }
        else if ((ulong)buf.Length < controlLength)
        {
            sb.Append(", ...");
        }
        sb.Append(']');
    }

    private static void AppendTypeAndData(StringBuilder sb, int level, int type, ReadOnlySpan<byte> data)
    {
        switch (level)
        {
            case SOL_SOCKET:
                SocketTypes.AppendValue(sb, (uint)type);
                AppendSocketData(sb, type, data);
                break;
            case SOL_IP:
                IpTypes.AppendValue(sb, (uint)type);
                AppendIpData(sb, type, data);
                break;
            default:
                FlagText.Hex(sb, (uint)type);
                break;
        }
    }

    private static void AppendSocketData(StringBuilder sb, int type, ReadOnlySpan<byte> data)
    {
        switch (type)
        {
            case 1 when data.Length >= 4: // SCM_RIGHTS
                sb.Append(", cmsg_data=");
                AppendIntArray(sb, data);
                break;
            case 2 when data.Length >= 12: // SCM_CREDENTIALS
                sb.Append(", cmsg_data={pid=").Append(I32(data, 0)).Append(", uid=");
                AppendId(sb, U32(data, 4));
                sb.Append(", gid=");
                AppendId(sb, U32(data, 8));
                sb.Append('}');
                break;
            case 3 when data.Length >= 1: // SCM_SECURITY
                sb.Append(", cmsg_data=");
                AppendQuoted(sb, data);
                break;
            case 29 or 63 when data.Length >= 1: // SO_TIMESTAMP_OLD, SO_TIMESTAMP_NEW: a timeval
                sb.Append(", cmsg_data=");
                if (data.Length < Time.TimespecSize || !Time.TryAppendTimeval(sb, data[..Time.TimespecSize]))
                {
                    sb.Append("???");
                }
                break;
            case 35 or 64 when data.Length >= 1: // SO_TIMESTAMPNS_OLD, SO_TIMESTAMPNS_NEW: a timespec
                sb.Append(", cmsg_data=");
                if (data.Length < Time.TimespecSize || !Time.TryAppendTimespec(sb, data[..Time.TimespecSize]))
                {
                    sb.Append("???");
                }
                break;
            case 37 or 65 when data.Length >= 1: // SO_TIMESTAMPING_OLD, SO_TIMESTAMPING_NEW: three timespecs
                sb.Append(", cmsg_data=");
                if (data.Length < 3 * Time.TimespecSize)
                {
                    sb.Append("???");
                    break;
                }
                sb.Append('[');
                for (int i = 0; i < 3; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    Time.TryAppendTimespec(sb, data.Slice(i * Time.TimespecSize, Time.TimespecSize));
                }
                sb.Append(']');
                break;
        }
    }

    private static void AppendIpData(StringBuilder sb, int type, ReadOnlySpan<byte> data)
    {
        switch (type)
        {
            case 1 or 6 or 7 when data.Length >= 1: // IP_TOS, IP_RECVOPTS, IP_RETOPTS: bytes in hex
                sb.Append(", cmsg_data=[");
                for (int i = 0; i < data.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    if (i >= Poll.MaxPrinted)
                    {
                        sb.Append("...");
                        break;
                    }
                    FlagText.Hex(sb, data[i]);
                }
                sb.Append(']');
                break;
            case 2 or 23 when data.Length >= 4: // IP_TTL, IP_CHECKSUM: unsigned ints
                sb.Append(", cmsg_data=");
                AppendIntArray(sb, data, unsigned: true);
                break;
            case 3 when data.Length >= 1: // SCM_SECURITY
                sb.Append(", cmsg_data=");
                AppendQuoted(sb, data);
                break;
            case 8 when data.Length >= 12: // IP_PKTINFO; the interface by index (see SockAddr)
                sb.Append(", cmsg_data={ipi_ifindex=").Append(I32(data, 0)).Append(", ipi_spec_dst=");
                SockAddr.AppendInetAddr(sb, data.Slice(4, 4));
                sb.Append(", ipi_addr=");
                SockAddr.AppendInetAddr(sb, data.Slice(8, 4));
                sb.Append('}');
                break;
            case 11 when data.Length >= 32: // IP_RECVERR: struct sock_extended_err and the offender
                sb.Append(", cmsg_data={ee_errno=").Append(U32(data, 0))
                    .Append(", ee_origin=").Append(data[4])
                    .Append(", ee_type=").Append(data[5])
                    .Append(", ee_code=").Append(data[6])
                    .Append(", ee_info=").Append(U32(data, 8))
                    .Append(", ee_data=").Append(U32(data, 12))
                    .Append(", offender=");
                if (!SockAddr.TryAppend(sb, data.Slice(16, 16), 16))
                {
                    sb.Append("???");
                }
                sb.Append('}');
                break;
            case 20 when data.Length >= 16: // IP_ORIGDSTADDR
                sb.Append(", cmsg_data=");
                if (!SockAddr.TryAppend(sb, data, Math.Min(data.Length, SockAddr.MaxSize)))
                {
                    sb.Append("???");
                }
                break;
        }
    }

    private static void AppendIntArray(StringBuilder sb, ReadOnlySpan<byte> data, bool unsigned = false)
    {
        sb.Append('[');
        for (int i = 0; i + 4 <= data.Length; i += 4)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            if (i / 4 >= Poll.MaxPrinted)
            {
                sb.Append("...");
                break;
            }
            if (unsigned)
            {
                sb.Append(U32(data, i));
            }
            else
            {
                sb.Append(I32(data, i));
            }
        }
        sb.Append(']');
    }

    // strace's PRINT_FIELD_ID: -1 for the "no id" value, otherwise unsigned.
    private static void AppendId(StringBuilder sb, uint id)
    {
        if (id == uint.MaxValue)
        {
            sb.Append("-1");
        }
        else
        {
            sb.Append(id);
        }
    }
}
