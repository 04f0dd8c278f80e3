using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>
/// Sockets: address families, socket types and their flags, protocols (per family), socket
/// option levels and names, shutdown's how, and the MSG_* flags of send and receive.
/// </summary>
/// <remarks>
/// strace decodes option names only for the levels it has tables for; the levels here are
/// SOL_SOCKET, SOL_IP, SOL_IPV6, SOL_TCP, SOL_UDP and SOL_RAW. Under any other level the option
/// name is printed as an unsigned number, which is what strace prints for a level it does
/// not know (it names the options of a few more, such as SOL_PACKET and SOL_NETLINK).
/// </remarks>
internal static class SocketConstants
{
    private const int AF_INET = 2;
    private const int AF_INET6 = 10;
    private const int AF_NETLINK = 16;
    private const int AF_PACKET = 17;
    private const ulong SOCK_TYPE_MASK = 0xf;
    private const int SOL_IP = 0;
    private const int SOL_SOCKET = 1;
    private const int SOL_TCP = 6;
    private const int SOL_UDP = 17;
    private const int SOL_IPV6 = 41;
    private const int SOL_RAW = 255;

    private static readonly NameTable Families = new(
        "AF_???",
        new(0, "AF_UNSPEC"),
        new(1, "AF_UNIX"),
        new(2, "AF_INET"),
        new(3, "AF_AX25"),
        new(4, "AF_IPX"),
        new(5, "AF_APPLETALK"),
        new(6, "AF_NETROM"),
        new(7, "AF_BRIDGE"),
        new(8, "AF_ATMPVC"),
        new(9, "AF_X25"),
        new(10, "AF_INET6"),
        new(11, "AF_ROSE"),
        new(12, "AF_DECnet"),
        new(13, "AF_NETBEUI"),
        new(14, "AF_SECURITY"),
        new(15, "AF_KEY"),
        new(16, "AF_NETLINK"),
        new(17, "AF_PACKET"),
        new(18, "AF_ASH"),
        new(19, "AF_ECONET"),
        new(20, "AF_ATMSVC"),
        new(21, "AF_RDS"),
        new(22, "AF_SNA"),
        new(23, "AF_IRDA"),
        new(24, "AF_PPPOX"),
        new(25, "AF_WANPIPE"),
        new(26, "AF_LLC"),
        new(27, "AF_IB"),
        new(28, "AF_MPLS"),
        new(29, "AF_CAN"),
        new(30, "AF_TIPC"),
        new(31, "AF_BLUETOOTH"),
        new(32, "AF_IUCV"),
        new(33, "AF_RXRPC"),
        new(34, "AF_ISDN"),
        new(35, "AF_PHONET"),
        new(36, "AF_IEEE802154"),
        new(37, "AF_CAIF"),
        new(38, "AF_ALG"),
        new(39, "AF_NFC"),
        new(40, "AF_VSOCK"),
        new(41, "AF_KCM"),
        new(42, "AF_QIPCRTR"),
        new(43, "AF_SMC"),
        new(44, "AF_XDP"),
        new(45, "AF_MCTP"));

    private static readonly NameTable SocketTypes = new(
        "SOCK_???",
        new(1, "SOCK_STREAM"),
        new(2, "SOCK_DGRAM"),
        new(3, "SOCK_RAW"),
        new(4, "SOCK_RDM"),
        new(5, "SOCK_SEQPACKET"),
        new(6, "SOCK_DCCP"),
        new(10, "SOCK_PACKET"));

    /// <summary>The flags or'ed into a socket type, and accept4's flags.</summary>
    private static readonly NameTable SocketTypeFlags = new(
        "SOCK_???",
        new(0x80000, "SOCK_CLOEXEC"),
        new(0x800, "SOCK_NONBLOCK"));

    private static readonly NameTable IpProtocols = new(
        "IPPROTO_???",
        new(0, "IPPROTO_IP"),
        new(1, "IPPROTO_ICMP"),
        new(2, "IPPROTO_IGMP"),
        new(4, "IPPROTO_IPIP"),
        new(6, "IPPROTO_TCP"),
        new(8, "IPPROTO_EGP"),
        new(12, "IPPROTO_PUP"),
        new(17, "IPPROTO_UDP"),
        new(22, "IPPROTO_IDP"),
        new(29, "IPPROTO_TP"),
        new(33, "IPPROTO_DCCP"),
        new(41, "IPPROTO_IPV6"),
        new(43, "IPPROTO_ROUTING"),
        new(44, "IPPROTO_FRAGMENT"),
        new(46, "IPPROTO_RSVP"),
        new(47, "IPPROTO_GRE"),
        new(50, "IPPROTO_ESP"),
        new(51, "IPPROTO_AH"),
        new(58, "IPPROTO_ICMPV6"),
        new(59, "IPPROTO_NONE"),
        new(60, "IPPROTO_DSTOPTS"),
        new(92, "IPPROTO_MTP"),
        new(94, "IPPROTO_BEETPH"),
        new(98, "IPPROTO_ENCAP"),
        new(103, "IPPROTO_PIM"),
        new(108, "IPPROTO_COMP"),
        new(115, "IPPROTO_L2TP"),
        new(132, "IPPROTO_SCTP"),
        new(135, "IPPROTO_MH"),
        new(136, "IPPROTO_UDPLITE"),
        new(137, "IPPROTO_MPLS"),
        new(143, "IPPROTO_ETHERNET"),
        new(255, "IPPROTO_RAW"),
        new(262, "IPPROTO_MPTCP"));

    private static readonly NameTable NetlinkProtocols = new(
        "NETLINK_???",
        new(0, "NETLINK_ROUTE"),
        new(1, "NETLINK_UNUSED"),
        new(2, "NETLINK_USERSOCK"),
        new(3, "NETLINK_FIREWALL"),
        new(4, "NETLINK_SOCK_DIAG"),
        new(5, "NETLINK_NFLOG"),
        new(6, "NETLINK_XFRM"),
        new(7, "NETLINK_SELINUX"),
        new(8, "NETLINK_ISCSI"),
        new(9, "NETLINK_AUDIT"),
        new(10, "NETLINK_FIB_LOOKUP"),
        new(11, "NETLINK_CONNECTOR"),
        new(12, "NETLINK_NETFILTER"),
        new(13, "NETLINK_IP6_FW"),
        new(14, "NETLINK_DNRTMSG"),
        new(15, "NETLINK_KOBJECT_UEVENT"),
        new(16, "NETLINK_GENERIC"),
        new(18, "NETLINK_SCSITRANSPORT"),
        new(19, "NETLINK_ECRYPTFS"),
        new(20, "NETLINK_RDMA"),
        new(21, "NETLINK_CRYPTO"),
        new(22, "NETLINK_SMC"));

    /// <summary>AF_PACKET protocols, an Ethernet type in network byte order: strace prints <c>htons(ETH_P_ALL)</c>.</summary>
    private static readonly NameTable EthernetTypes = new(
        "ETH_P_???",
        new(0x0001, "ETH_P_802_3"),
        new(0x0003, "ETH_P_ALL"),
        new(0x0004, "ETH_P_802_2"),
        new(0x0800, "ETH_P_IP"),
        new(0x0806, "ETH_P_ARP"),
        new(0x8100, "ETH_P_8021Q"),
        new(0x86dd, "ETH_P_IPV6"));

    /// <summary>Socket option levels; the struct renderers' cmsg levels use the same names.</summary>
    internal static readonly Named[] LevelNames =
    [
        new(0, "SOL_IP"),
        new(1, "SOL_SOCKET"),
        new(6, "SOL_TCP"),
        new(17, "SOL_UDP"),
        new(40, "AF_VSOCK"),
        new(41, "SOL_IPV6"),
        new(58, "SOL_ICMPV6"),
        new(100, "SOL_CAN_BASE"),
        new(101, "SOL_CAN_RAW"),
        new(132, "SOL_SCTP"),
        new(136, "SOL_UDPLITE"),
        new(255, "SOL_RAW"),
        new(256, "SOL_IPX"),
        new(257, "SOL_AX25"),
        new(258, "SOL_ATALK"),
        new(259, "SOL_NETROM"),
        new(260, "SOL_ROSE"),
        new(261, "SOL_DECNET"),
        new(262, "SOL_X25"),
        new(263, "SOL_PACKET"),
        new(264, "SOL_ATM"),
        new(265, "SOL_AAL"),
        new(266, "SOL_IRDA"),
        new(267, "SOL_NETBEUI"),
        new(268, "SOL_LLC"),
        new(269, "SOL_DCCP"),
        new(270, "SOL_NETLINK"),
        new(271, "SOL_TIPC"),
        new(272, "SOL_RXRPC"),
        new(273, "SOL_PPPOL2TP"),
        new(274, "SOL_BLUETOOTH"),
        new(275, "SOL_PNPIPE"),
        new(276, "SOL_RDS"),
        new(277, "SOL_IUCV"),
        new(278, "SOL_CAIF"),
        new(279, "SOL_ALG"),
        new(280, "SOL_NFC"),
        new(281, "SOL_KCM"),
        new(282, "SOL_TLS"),
        new(283, "SOL_XDP"),
    ];

    private static readonly NameTable Levels = new("SOL_??", LevelNames);

    private static readonly NameTable SocketOptions = new(
        "SO_???",
        new(1, "SO_DEBUG"),
        new(2, "SO_REUSEADDR"),
        new(3, "SO_TYPE"),
        new(4, "SO_ERROR"),
        new(5, "SO_DONTROUTE"),
        new(6, "SO_BROADCAST"),
        new(7, "SO_SNDBUF"),
        new(8, "SO_RCVBUF"),
        new(9, "SO_KEEPALIVE"),
        new(10, "SO_OOBINLINE"),
        new(11, "SO_NO_CHECK"),
        new(12, "SO_PRIORITY"),
        new(13, "SO_LINGER"),
        new(14, "SO_BSDCOMPAT"),
        new(15, "SO_REUSEPORT"),
        new(16, "SO_PASSCRED"),
        new(17, "SO_PEERCRED"),
        new(18, "SO_RCVLOWAT"),
        new(19, "SO_SNDLOWAT"),
        new(20, "SO_RCVTIMEO_OLD"),
        new(21, "SO_SNDTIMEO_OLD"),
        new(22, "SO_SECURITY_AUTHENTICATION"),
        new(23, "SO_SECURITY_ENCRYPTION_TRANSPORT"),
        new(24, "SO_SECURITY_ENCRYPTION_NETWORK"),
        new(25, "SO_BINDTODEVICE"),
        new(26, "SO_ATTACH_FILTER"),
        new(27, "SO_DETACH_FILTER"),
        new(28, "SO_PEERNAME"),
        new(29, "SO_TIMESTAMP_OLD"),
        new(30, "SO_ACCEPTCONN"),
        new(31, "SO_PEERSEC"),
        new(32, "SO_SNDBUFFORCE"),
        new(33, "SO_RCVBUFFORCE"),
        new(34, "SO_PASSSEC"),
        new(35, "SO_TIMESTAMPNS_OLD"),
        new(36, "SO_MARK"),
        new(37, "SO_TIMESTAMPING_OLD"),
        new(38, "SO_PROTOCOL"),
        new(39, "SO_DOMAIN"),
        new(40, "SO_RXQ_OVFL"),
        new(41, "SO_WIFI_STATUS"),
        new(42, "SO_PEEK_OFF"),
        new(43, "SO_NOFCS"),
        new(44, "SO_LOCK_FILTER"),
        new(45, "SO_SELECT_ERR_QUEUE"),
        new(46, "SO_BUSY_POLL"),
        new(47, "SO_MAX_PACING_RATE"),
        new(48, "SO_BPF_EXTENSIONS"),
        new(49, "SO_INCOMING_CPU"),
        new(50, "SO_ATTACH_BPF"),
        new(51, "SO_ATTACH_REUSEPORT_CBPF"),
        new(52, "SO_ATTACH_REUSEPORT_EBPF"),
        new(53, "SO_CNX_ADVICE"),
        new(55, "SO_MEMINFO"),
        new(56, "SO_INCOMING_NAPI_ID"),
        new(57, "SO_COOKIE"),
        new(59, "SO_PEERGROUPS"),
        new(60, "SO_ZEROCOPY"),
        new(61, "SO_TXTIME"),
        new(62, "SO_BINDTOIFINDEX"),
        new(63, "SO_TIMESTAMP_NEW"),
        new(64, "SO_TIMESTAMPNS_NEW"),
        new(65, "SO_TIMESTAMPING_NEW"),
        new(66, "SO_RCVTIMEO_NEW"),
        new(67, "SO_SNDTIMEO_NEW"),
        new(68, "SO_DETACH_REUSEPORT_BPF"),
        new(69, "SO_PREFER_BUSY_POLL"),
        new(70, "SO_BUSY_POLL_BUDGET"),
        new(71, "SO_NETNS_COOKIE"),
        new(72, "SO_BUF_LOCK"),
        new(73, "SO_RESERVE_MEM"),
        new(74, "SO_TXREHASH"),
        new(75, "SO_RCVMARK"));

    private static readonly NameTable TcpOptions = new(
        "TCP_???",
        new(1, "TCP_NODELAY"),
        new(2, "TCP_MAXSEG"),
        new(3, "TCP_CORK"),
        new(4, "TCP_KEEPIDLE"),
        new(5, "TCP_KEEPINTVL"),
        new(6, "TCP_KEEPCNT"),
        new(7, "TCP_SYNCNT"),
        new(8, "TCP_LINGER2"),
        new(9, "TCP_DEFER_ACCEPT"),
        new(10, "TCP_WINDOW_CLAMP"),
        new(11, "TCP_INFO"),
        new(12, "TCP_QUICKACK"),
        new(13, "TCP_CONGESTION"),
        new(14, "TCP_MD5SIG"),
        new(15, "TCP_COOKIE_TRANSACTIONS"),
        new(16, "TCP_THIN_LINEAR_TIMEOUTS"),
        new(17, "TCP_THIN_DUPACK"),
        new(18, "TCP_USER_TIMEOUT"),
        new(19, "TCP_REPAIR"),
        new(20, "TCP_REPAIR_QUEUE"),
        new(21, "TCP_QUEUE_SEQ"),
        new(22, "TCP_REPAIR_OPTIONS"),
        new(23, "TCP_FASTOPEN"),
        new(24, "TCP_TIMESTAMP"),
        new(25, "TCP_NOTSENT_LOWAT"),
        new(26, "TCP_CC_INFO"),
        new(27, "TCP_SAVE_SYN"),
        new(28, "TCP_SAVED_SYN"),
        new(29, "TCP_REPAIR_WINDOW"),
        new(30, "TCP_FASTOPEN_CONNECT"),
        new(31, "TCP_ULP"),
        new(32, "TCP_MD5SIG_EXT"),
        new(33, "TCP_FASTOPEN_KEY"),
        new(34, "TCP_FASTOPEN_NO_COOKIE"),
        new(35, "TCP_ZEROCOPY_RECEIVE"),
        new(36, "TCP_INQ"),
        new(37, "TCP_TX_DELAY"));

    private static readonly NameTable IpOptions = new(
        "IP_???",
        new(1, "IP_TOS"),
        new(2, "IP_TTL"),
        new(3, "IP_HDRINCL"),
        new(4, "IP_OPTIONS"),
        new(5, "IP_ROUTER_ALERT"),
        new(6, "IP_RECVOPTS"),
        new(7, "IP_RETOPTS"),
        new(8, "IP_PKTINFO"),
        new(9, "IP_PKTOPTIONS"),
        new(10, "IP_MTU_DISCOVER"),
        new(11, "IP_RECVERR"),
        new(12, "IP_RECVTTL"),
        new(13, "IP_RECVTOS"),
        new(14, "IP_MTU"),
        new(15, "IP_FREEBIND"),
        new(16, "IP_IPSEC_POLICY"),
        new(17, "IP_XFRM_POLICY"),
        new(18, "IP_PASSSEC"),
        new(19, "IP_TRANSPARENT"),
        new(20, "IP_ORIGDSTADDR"),
        new(21, "IP_MINTTL"),
        new(22, "IP_NODEFRAG"),
        new(23, "IP_CHECKSUM"),
        new(24, "IP_BIND_ADDRESS_NO_PORT"),
        new(25, "IP_RECVFRAGSIZE"),
        new(26, "IP_RECVERR_RFC4884"),
        new(32, "IP_MULTICAST_IF"),
        new(33, "IP_MULTICAST_TTL"),
        new(34, "IP_MULTICAST_LOOP"),
        new(35, "IP_ADD_MEMBERSHIP"),
        new(36, "IP_DROP_MEMBERSHIP"),
        new(37, "IP_UNBLOCK_SOURCE"),
        new(38, "IP_BLOCK_SOURCE"),
        new(39, "IP_ADD_SOURCE_MEMBERSHIP"),
        new(40, "IP_DROP_SOURCE_MEMBERSHIP"),
        new(41, "IP_MSFILTER"),
        new(42, "MCAST_JOIN_GROUP"),
        new(43, "MCAST_BLOCK_SOURCE"),
        new(44, "MCAST_UNBLOCK_SOURCE"),
        new(45, "MCAST_LEAVE_GROUP"),
        new(46, "MCAST_JOIN_SOURCE_GROUP"),
        new(47, "MCAST_LEAVE_SOURCE_GROUP"),
        new(48, "MCAST_MSFILTER"),
        new(49, "IP_MULTICAST_ALL"),
        new(50, "IP_UNICAST_IF"),
        new(64, "IPT_SO_SET_REPLACE"),
        new(65, "IPT_SO_SET_ADD_COUNTERS"),
        new(96, "ARPT_SO_SET_REPLACE"),
        new(97, "ARPT_SO_SET_ADD_COUNTERS"));

    private static readonly NameTable Ipv6Options = new(
        "IPV6_???",
        new(1, "IPV6_ADDRFORM"),
        new(2, "IPV6_2292PKTINFO"),
        new(3, "IPV6_2292HOPOPTS"),
        new(4, "IPV6_2292DSTOPTS"),
        new(5, "IPV6_2292RTHDR"),
        new(6, "IPV6_2292PKTOPTIONS"),
        new(7, "IPV6_CHECKSUM"),
        new(8, "IPV6_2292HOPLIMIT"),
        new(9, "IPV6_NEXTHOP"),
        new(10, "IPV6_AUTHHDR"),
        new(11, "IPV6_FLOWINFO"),
        new(16, "IPV6_UNICAST_HOPS"),
        new(17, "IPV6_MULTICAST_IF"),
        new(18, "IPV6_MULTICAST_HOPS"),
        new(19, "IPV6_MULTICAST_LOOP"),
        new(20, "IPV6_ADD_MEMBERSHIP"),
        new(21, "IPV6_DROP_MEMBERSHIP"),
        new(22, "IPV6_ROUTER_ALERT"),
        new(23, "IPV6_MTU_DISCOVER"),
        new(24, "IPV6_MTU"),
        new(25, "IPV6_RECVERR"),
        new(26, "IPV6_V6ONLY"),
        new(27, "IPV6_JOIN_ANYCAST"),
        new(28, "IPV6_LEAVE_ANYCAST"),
        new(29, "IPV6_MULTICAST_ALL"),
        new(30, "IPV6_ROUTER_ALERT_ISOLATE"),
        new(31, "IPV6_RECVERR_RFC4884"),
        new(32, "IPV6_FLOWLABEL_MGR"),
        new(33, "IPV6_FLOWINFO_SEND"),
        new(34, "IPV6_IPSEC_POLICY"),
        new(35, "IPV6_XFRM_POLICY"),
        new(36, "IPV6_HDRINCL"),
        new(42, "MCAST_JOIN_GROUP"),
        new(43, "MCAST_BLOCK_SOURCE"),
        new(44, "MCAST_UNBLOCK_SOURCE"),
        new(45, "MCAST_LEAVE_GROUP"),
        new(46, "MCAST_JOIN_SOURCE_GROUP"),
        new(47, "MCAST_LEAVE_SOURCE_GROUP"),
        new(48, "MCAST_MSFILTER"),
        new(49, "IPV6_RECVPKTINFO"),
        new(50, "IPV6_PKTINFO"),
        new(51, "IPV6_RECVHOPLIMIT"),
        new(52, "IPV6_HOPLIMIT"),
        new(53, "IPV6_RECVHOPOPTS"),
        new(54, "IPV6_HOPOPTS"),
        new(55, "IPV6_RTHDRDSTOPTS"),
        new(56, "IPV6_RECVRTHDR"),
        new(57, "IPV6_RTHDR"),
        new(58, "IPV6_RECVDSTOPTS"),
        new(59, "IPV6_DSTOPTS"),
        new(60, "IPV6_RECVPATHMTU"),
        new(61, "IPV6_PATHMTU"),
        new(62, "IPV6_DONTFRAG"),
        new(63, "IPV6_USE_MIN_MTU"),
        new(64, "IP6T_SO_SET_REPLACE"),
        new(65, "IP6T_SO_SET_ADD_COUNTERS"),
        new(66, "IPV6_RECVTCLASS"),
        new(67, "IPV6_TCLASS"),
        new(70, "IPV6_AUTOFLOWLABEL"),
        new(72, "IPV6_ADDR_PREFERENCES"),
        new(73, "IPV6_MINHOPCOUNT"),
        new(74, "IPV6_ORIGDSTADDR"),
        new(75, "IPV6_TRANSPARENT"),
        new(76, "IPV6_UNICAST_IF"),
        new(77, "IPV6_RECVFRAGSIZE"),
        new(78, "IPV6_FREEBIND"));

    private static readonly NameTable UdpOptions = new(
        "UDP_???",
        new(1, "UDP_CORK"),
        new(100, "UDP_ENCAP"),
        new(101, "UDP_NO_CHECK6_TX"),
        new(102, "UDP_NO_CHECK6_RX"),
        new(103, "UDP_SEGMENT"),
        new(104, "UDP_GRO"));

    private static readonly NameTable RawOptions = new(
        "RAW_???",
        new Named(1, "ICMP_FILTER"));

    private static readonly NameTable ShutdownModes = new(
        "SHUT_???",
        new(0, "SHUT_RD"),
        new(1, "SHUT_WR"),
        new(2, "SHUT_RDWR"));

    private static readonly NameTable MessageFlags = new(
        "MSG_???",
        new(0x1, "MSG_OOB"),
        new(0x2, "MSG_PEEK"),
        new(0x4, "MSG_DONTROUTE"),
        new(0x8, "MSG_CTRUNC"),
        new(0x10, "MSG_PROBE"),
        new(0x20, "MSG_TRUNC"),
        new(0x40, "MSG_DONTWAIT"),
        new(0x80, "MSG_EOR"),
        new(0x100, "MSG_WAITALL"),
        new(0x200, "MSG_FIN"),
        new(0x400, "MSG_SYN"),
        new(0x800, "MSG_CONFIRM"),
        new(0x1000, "MSG_RST"),
        new(0x2000, "MSG_ERRQUEUE"),
        new(0x4000, "MSG_NOSIGNAL"),
        new(0x8000, "MSG_MORE"),
        new(0x10000, "MSG_WAITFORONE"),
        new(0x20000, "MSG_SENDPAGE_NOTLAST"),
        new(0x40000, "MSG_BATCH"),
        new(0x80000, "MSG_NO_SHARED_FRAGS"),
        new(0x4000000, "MSG_ZEROCOPY"),
        new(0x20000000, "MSG_FASTOPEN"),
        new(0x40000000, "MSG_CMSG_CLOEXEC"),
        new(0x80000000, "MSG_CMSG_COMPAT"));

    public static void AppendFamily(StringBuilder sb, ulong family) => Families.AppendValue(sb, family & 0xffffffff);

    /// <summary>A socket type: the type by name, then SOCK_CLOEXEC and SOCK_NONBLOCK: <c>SOCK_STREAM|SOCK_CLOEXEC</c>.</summary>
    public static void AppendSocketType(StringBuilder sb, ulong type)
    {
        type &= 0xffffffff;
        string? name = SocketTypes.Find(type & SOCK_TYPE_MASK);
        if (name is not null)
        {
            sb.Append(name);
            type &= ~SOCK_TYPE_MASK;
            if (type == 0)
            {
                return;
            }
            sb.Append('|');
        }
        SocketTypeFlags.AppendFlags(sb, type);
    }

    /// <summary>A protocol, read as the family says: <c>IPPROTO_TCP</c>, <c>NETLINK_ROUTE</c>, <c>htons(ETH_P_ALL)</c>, else a number.</summary>
    public static void AppendProtocol(StringBuilder sb, ulong family, ulong protocol)
    {
        protocol &= 0xffffffff;
        switch ((int)family)
        {
            case AF_INET:
            case AF_INET6:
                IpProtocols.AppendValue(sb, protocol);
                break;
            case AF_NETLINK:
                NetlinkProtocols.AppendValue(sb, protocol);
                break;
            case AF_PACKET:
                sb.Append("htons(");
                EthernetTypes.AppendValue(sb, (ulong)(ushort)(((protocol & 0xff) << 8) | ((protocol >> 8) & 0xff)));
                sb.Append(')');
                break;
            default:
                sb.Append(protocol);
                break;
        }
    }

    public static void AppendLevel(StringBuilder sb, ulong level) => Levels.AppendValue(sb, level & 0xffffffff);

    /// <summary>An option name, read as its level says.</summary>
    public static void AppendOptionName(StringBuilder sb, ulong level, ulong name)
    {
        name &= 0xffffffff;
        NameTable? table = (int)level switch
        {
            SOL_SOCKET => SocketOptions,
            SOL_IP => IpOptions,
            SOL_IPV6 => Ipv6Options,
            SOL_TCP => TcpOptions,
            SOL_UDP => UdpOptions,
            SOL_RAW => RawOptions,
            _ => null,
        };
        if (table is null)
        {
            sb.Append(name);
        }
        else
        {
            table.AppendValue(sb, name);
        }
    }

    public static void AppendMessageFlags(StringBuilder sb, ulong flags) => MessageFlags.AppendFlags(sb, flags & 0xffffffff);

    internal static void Register(DecoderRegistry r)
    {
        foreach (string name in (ReadOnlySpan<string>)["socket", "socketpair"])
        {
            r.For(name)
                .Arg(0, static (sb, a) => AppendFamily(sb, a[0]))
                .Arg(1, static (sb, a) => AppendSocketType(sb, a[1]))
                .Arg(2, static (sb, a) => AppendProtocol(sb, a[0], a[2]));
        }
        foreach (string name in (ReadOnlySpan<string>)["setsockopt", "getsockopt"])
        {
            r.For(name)
                .Arg(1, static (sb, a) => AppendLevel(sb, a[1]))
                .Arg(2, static (sb, a) => AppendOptionName(sb, a[1], a[2]));
        }
        r.For("shutdown").Arg(1, static (sb, a) => ShutdownModes.AppendValue(sb, a[1] & 0xffffffff));
        r.For("sendto").Arg(3, static (sb, a) => AppendMessageFlags(sb, a[3]));
        r.For("recvfrom").Arg(3, static (sb, a) => AppendMessageFlags(sb, a[3]));
        r.For("sendmsg").Arg(2, static (sb, a) => AppendMessageFlags(sb, a[2]));
        r.For("recvmsg").Arg(2, static (sb, a) => AppendMessageFlags(sb, a[2]));
        r.For("sendmmsg").Arg(3, static (sb, a) => AppendMessageFlags(sb, a[3]));
        r.For("recvmmsg").Arg(3, static (sb, a) => AppendMessageFlags(sb, a[3]));
        r.For("accept4").Arg(3, static (sb, a) => SocketTypeFlags.AppendFlags(sb, a[3] & 0xffffffff));
    }
}
