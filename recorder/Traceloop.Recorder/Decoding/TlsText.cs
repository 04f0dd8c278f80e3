using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Decoding;

/// <summary>
/// TLS plaintext as a dump line, next to the read or write that carried its ciphertext:
/// <c>--- tls write openssl fd=5 "POST /api/checkout HTTP/1.1\r\n"... = 79 ---</c>
/// (no <c>fd=</c> when no socket is known: see <see cref="TlsSockets"/>).
/// </summary>
internal static class TlsText
{
    public static string Direction(TlsDirection direction) => direction == TlsDirection.Write ? "write" : "read";

    public static string Library(TlsLibrary library) => library switch
    {
        TlsLibrary.OpenSsl => "openssl",
        TlsLibrary.Go => "go",
        _ => "unknown",
    };

    public static void AppendLine(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        tl_tls x = RecordView.Tls(buffer, e);
        sb.Append("--- tls ").Append(Direction(x.direction)).Append(' ').Append(Library(x.library));
        if (e.TlsFd >= 0)
        {
            sb.Append(" fd=").Append(e.TlsFd);
        }
        if (RecordView.TryGetTlsPayload(buffer, e, out Payload payload) && (payload.Flags & PayloadFlags.Fault) == 0)
        {
            sb.Append(' ');
            ArgumentText.AppendQuoted(sb, payload.Data, payload.Truncated);
        }
        sb.Append(" = ").Append(x.ret).Append(" ---");
    }
}
