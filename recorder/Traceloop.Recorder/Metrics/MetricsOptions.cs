using System.Globalization;
using System.Net;

namespace Traceloop.Recorder.Metrics;

/// <summary>
/// The Prometheus metrics (docs/METRICS.md): whether the kernel counts syscalls, and the TCP
/// address that serves <c>GET /metrics</c> besides the Unix socket. Bound from the configuration
/// root (--metrics, --metrics-address, --metrics-series; TRACELOOP_METRICS, TRACELOOP_METRICSADDRESS,
/// TRACELOOP_METRICSSERIES).
/// </summary>
internal sealed class MetricsOptions
{
    /// <summary>"on": the kernel counts every recorded container's syscalls; "off": the programs are loaded without that code.</summary>
    public string Metrics { get; set; } = "on";

    /// <summary>
    /// Where to also serve /metrics over plain HTTP, as "[host]:port" (":9431" is every address).
    /// Empty: nothing listens on TCP. Only /metrics is served there.
    /// </summary>
    public string MetricsAddress { get; set; } = "";

    /// <summary>
    /// The node-wide budget of syscall series (one per container and syscall it made), preallocated
    /// in the kernel at 216 bytes per series per CPU; 0 (the default) for
    /// <see cref="SeriesPerContainer"/> per container of --max-containers. Calls of a series that
    /// found no room are counted in traceloop_syscall_metrics_dropped_total{reason="map_full"}.
    /// </summary>
    public int MetricsSeries { get; set; }

    /// <summary>
    /// The default budget per container: runc's init alone makes some 65 distinct syscalls in each
    /// container, and a service adds its own, so with every container of --max-containers in use
    /// they still fit.
    /// </summary>
    public const int SeriesPerContainer = 96;

    public const int MinSeries = 16;

    public const int MaxSeries = 1 << 20;

    /// <summary>The series budget the kernel is loaded with.</summary>
    public int SeriesFor(int maxContainers) => MetricsSeries > 0 ? MetricsSeries : maxContainers * SeriesPerContainer;

    public bool Enabled => string.Equals(Metrics, "on", StringComparison.OrdinalIgnoreCase);

    /// <summary>The parsed <see cref="MetricsAddress"/>; null when it is empty or not an address.</summary>
    public IPEndPoint? Endpoint() => ParseAddress(MetricsAddress);

    /// <summary>":9431", "0.0.0.0:9431", "127.0.0.1:9431", "[::1]:9431"; null for anything else.</summary>
    public static IPEndPoint? ParseAddress(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            return null;
        }
        string host = text[..colon];
        if (host.Length == 0)
        {
            return new IPEndPoint(IPAddress.Any, port);
        }
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        return IPAddress.TryParse(host, out IPAddress? address) ? new IPEndPoint(address, port) : null;
    }
}
