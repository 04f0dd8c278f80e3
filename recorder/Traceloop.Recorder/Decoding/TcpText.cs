using System.Globalization;
using System.Net;
using System.Text;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Decoding;

/// <summary>
/// A TCP state change as a dump line, marked like strace marks what is not a syscall:
/// <c>--- tcp 10.0.0.5:41234 &gt; 10.0.0.9:5432 SYN_SENT -&gt; ESTABLISHED ---</c> (local, then remote).
/// </summary>
internal static class TcpText
{
    private const int AF_INET6 = 10;

    // The kernel's enum, from 1 (include/net/tcp_states.h).
    private static readonly string[] States =
        ["?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"];

    public static string StateName(int state) =>
        state > 0 && state < States.Length ? States[state] : state.ToString(CultureInfo.InvariantCulture);

    public static void AppendLine(StringBuilder sb, in tl_tcp x)
    {
        sb.Append("--- tcp ");
        AppendEndpoint(sb, x, local: true);
        sb.Append(" > ");
        AppendEndpoint(sb, x, local: false);
        sb.Append(' ').Append(StateName(x.oldstate)).Append(" -> ").Append(StateName(x.newstate)).Append(" ---");
    }

    public static unsafe string Address(in tl_tcp x, bool local)
    {
        fixed (byte* s = x.saddr, d = x.daddr)
        {
            var bytes = new ReadOnlySpan<byte>(local ? s : d, x.family == AF_INET6 ? 16 : 4);
            return new IPAddress(bytes).ToString();
        }
    }

    private static void AppendEndpoint(StringBuilder sb, in tl_tcp x, bool local)
    {
        string address = Address(x, local);
        int port = local ? x.sport : x.dport;
        if (x.family == AF_INET6)
        {
            sb.Append('[').Append(address).Append("]:").Append(port);
        }
        else
        {
            sb.Append(address).Append(':').Append(port);
        }
    }
}
