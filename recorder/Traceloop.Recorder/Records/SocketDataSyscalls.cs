using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Records;

/// <summary>How a socket's bytes move through the syscalls that carry them.</summary>
internal enum SocketDataLayout : byte
{
    /// <summary>One buffer (read, write, recvfrom, sendto).</summary>
    Buffer,

    /// <summary>An iovec array (readv, writev).</summary>
    Iovec,

    /// <summary>A msghdr and its iovecs (recvmsg, sendmsg).</summary>
    Msghdr,
}

/// <summary>
/// The syscalls that move a socket's bytes, by number (x86-64, as the rest of Records reads them),
/// with their direction and buffer layout: one definition for the HTTP annotations (which look into
/// the bytes) and <see cref="TlsSockets"/> (which finds the socket a TLS library wrote its
/// ciphertext to).
/// </summary>
internal static class SocketDataSyscalls
{
    public const int NR_close = 3;
    private const int NR_read = 0;
    private const int NR_write = 1;
    private const int NR_readv = 19;
    private const int NR_writev = 20;
    private const int NR_sendto = 44;
    private const int NR_recvfrom = 45;
    private const int NR_sendmsg = 46;
    private const int NR_recvmsg = 47;

    /// <summary>Write for the calls that send, Read for those that receive, 0 for any other syscall.</summary>
    public static TlsDirection DirectionOf(int nr) => nr switch
    {
        NR_write or NR_writev or NR_sendto or NR_sendmsg => TlsDirection.Write,
        NR_read or NR_readv or NR_recvfrom or NR_recvmsg => TlsDirection.Read,
        _ => 0,
    };

    public static SocketDataLayout LayoutOf(int nr) => nr switch
    {
        NR_writev or NR_readv => SocketDataLayout.Iovec,
        NR_sendmsg or NR_recvmsg => SocketDataLayout.Msghdr,
        _ => SocketDataLayout.Buffer,
    };
}
