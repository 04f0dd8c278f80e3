using System.Text;

namespace Traceloop.Recorder.Decoding;

/// <summary>
/// Recognises an HTTP/1.x request line (<c>GET /path HTTP/1.1</c>) or status line
/// (<c>HTTP/1.1 200 OK</c>) at the start of the bytes a syscall carried. Only the first bytes are
/// captured (<c>--max-bytes</c>), so a request line may be cut before its version: it is still
/// taken when the method and a path starting with '/' (or '*', or an absolute URI) are there,
/// and the path is marked cut.
/// </summary>
internal static class HttpLines
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"];

    public static bool TryParseRequest(ReadOnlySpan<byte> data, bool cut, out string method, out string path, out bool pathCut)
    {
        method = path = "";
        pathCut = false;
        int space = data.IndexOf((byte)' ');
        if (space < 3 || space > 7)
        {
            return false;
        }
        string candidate = Encoding.ASCII.GetString(data[..space]);
        if (Array.IndexOf(Methods, candidate) < 0)
        {
            return false;
        }
        ReadOnlySpan<byte> rest = data[(space + 1)..];
        if (rest.IsEmpty || !(rest[0] == (byte)'/' || rest[0] == (byte)'*' || rest.StartsWith("http://"u8) || rest.StartsWith("https://"u8)))
        {
            return false;
        }
        int end = rest.IndexOfAny((byte)' ', (byte)'\r', (byte)'\n');
        if (end < 0)
        {
            // The capture ended inside the path: what is there is the start of it.
            if (!cut)
            {
                return false;
            }
            end = rest.Length;
            pathCut = true;
        }
        else if (rest[end] != (byte)' ' || (!rest[(end + 1)..].StartsWith("HTTP/1."u8) && !(cut && "HTTP/1."u8.StartsWith(rest[(end + 1)..]))))
        {
            // HTTP/1.x names its version after the path (or the capture ended before it did).
            return false;
        }
        if (!IsPrintable(rest[..end]))
        {
            return false;
        }
        method = candidate;
        path = Encoding.ASCII.GetString(rest[..end]);
        return true;
    }

    public static bool TryParseStatus(ReadOnlySpan<byte> data, out int status, out string reason)
    {
        status = 0;
        reason = "";
        if (!data.StartsWith("HTTP/1."u8) || data.Length < 12 || data[7] is not ((byte)'0' or (byte)'1') || data[8] != (byte)' ')
        {
            return false;
        }
        ReadOnlySpan<byte> code = data.Slice(9, 3);
        foreach (byte b in code)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }
        status = ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
        if (status < 100)
        {
            return false;
        }
        ReadOnlySpan<byte> rest = data[12..];
        if (!rest.IsEmpty && rest[0] == (byte)' ')
        {
            rest = rest[1..];
            int end = rest.IndexOfAny((byte)'\r', (byte)'\n');
            ReadOnlySpan<byte> text = end < 0 ? rest : rest[..end];
            reason = IsPrintable(text) ? Encoding.ASCII.GetString(text) : "";
        }
        return true;
    }

    private static bool IsPrintable(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text)
        {
            if (b is < 0x20 or >= 0x7f)
            {
                return false;
            }
        }
        return true;
    }
}
