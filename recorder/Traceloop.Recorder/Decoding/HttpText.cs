using System.Globalization;
using System.Text;
using Traceloop.Api;

namespace Traceloop.Recorder.Decoding;

/// <summary>
/// An HTTP message as a dump line after the syscall that carried it:
/// <c>--- http server request GET /api/checkout ---</c>,
/// <c>--- http server response 200 OK to GET /api/checkout in 1.234 ms ---</c>.
/// </summary>
internal static class HttpText
{
    public static void AppendLine(StringBuilder sb, HttpMessage m)
    {
        sb.Append("--- http ").Append(m.Role).Append(' ').Append(m.Type);
        if (m.Status is { } status)
        {
            sb.Append(' ').Append(status);
            if (!string.IsNullOrEmpty(m.Reason))
            {
                sb.Append(' ').Append(m.Reason);
            }
            if (m.Method is not null)
            {
                sb.Append(" to");
            }
        }
        if (m.Method is not null)
        {
            sb.Append(' ').Append(m.Method).Append(' ').Append(m.Path);
            if (m.PathTruncated)
            {
                sb.Append("...");
            }
        }
        if (m.LatencyNs is { } ns)
        {
            sb.Append(" in ").Append((ns / 1e6).ToString("0.000", CultureInfo.InvariantCulture)).Append(" ms");
        }
        sb.Append(" ---");
    }
}
