using System.Globalization;
using System.Net;

namespace Traceloop.Cluster;

/// <summary>A TCP listen address as the options write it.</summary>
internal static class ListenAddress
{
    /// <summary>"host:port", "[v6]:port", or ":port" for every address (IPv6 and IPv4); null when it is none of these.</summary>
    public static IPEndPoint? Parse(string text)
    {
        if (text.StartsWith(':') && int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            return port is > 0 and <= 65535 ? new IPEndPoint(IPAddress.IPv6Any, port) : null;
        }
        return IPEndPoint.TryParse(text, out IPEndPoint? endPoint) && endPoint.Port > 0 && text.Contains(':', StringComparison.Ordinal) ? endPoint : null;
    }
}
