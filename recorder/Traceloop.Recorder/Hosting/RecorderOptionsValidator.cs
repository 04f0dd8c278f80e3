using Microsoft.Extensions.Options;
using Traceloop.Cluster;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Dumps;

namespace Traceloop.Recorder.Hosting;

/// <summary>Refuses settings the kernel or the API could not honour, each with the reason.</summary>
internal sealed class RecorderOptionsValidator : IValidateOptions<RecorderOptions>
{
    public const int MinRingSize = 64 * 1024;
    // A ring is one BPF array value: header + data + overhang must stay within the kernel's
    // 4 MiB limit for a single value (KMALLOC_MAX_SIZE).
    public const int MaxRingSize = 2 * 1024 * 1024;

    // What the dumps in progress may hold in ring copies at once (see MaxConcurrentDumps).
    public const int MaxDumpRingBytes = 64 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, RecorderOptions o)
    {
        var errors = new List<string>();
        int ring = o.RingSizeBytes;
        if (ring < MinRingSize || ring > MaxRingSize || (ring & (ring - 1)) != 0)
        {
            errors.Add($"RingSize '{o.RingSize}' must be a power of two from 64K to 2M (e.g. 256K, 1M)");
        }
        if (o.MaxContainers is < 1 or > 4096)
        {
            errors.Add($"MaxContainers {o.MaxContainers} must be from 1 to 4096");
        }
        if (o.SpareRings < 1 || o.SpareRings > o.MaxContainers)
        {
            errors.Add($"SpareRings {o.SpareRings} must be from 1 to MaxContainers");
        }
        if (o.GracePeriod < TimeSpan.Zero)
        {
            errors.Add("GracePeriod must not be negative");
        }
        if (o.MaxStringBytes is < 16 or > RecordLayout.MaxString)
        {
            errors.Add($"MaxStringBytes {o.MaxStringBytes} must be from 16 to {RecordLayout.MaxString}");
        }
        if (o.MaxDataBytes is < 0 or > RecordLayout.MaxString)
        {
            errors.Add($"MaxDataBytes {o.MaxDataBytes} must be from 0 to {RecordLayout.MaxString}");
        }
        if (o.MaxTlsBytes is < 0 or > RecordLayout.MaxPayload)
        {
            errors.Add($"MaxTlsBytes {o.MaxTlsBytes} must be from 0 to {RecordLayout.MaxPayload}");
        }
        if (o.MaxArgv is < 1 or > RecordLayout.MaxArgv)
        {
            errors.Add($"MaxArgv {o.MaxArgv} must be from 1 to {RecordLayout.MaxArgv}");
        }
        if (o.MaxConcurrentDumps is < 1 or > 64)
        {
            errors.Add($"MaxConcurrentDumps {o.MaxConcurrentDumps} must be from 1 to 64");
        }
        else if (ring > 0 && (long)o.MaxConcurrentDumps * ring > MaxDumpRingBytes)
        {
            errors.Add($"MaxConcurrentDumps {o.MaxConcurrentDumps} times RingSize '{o.RingSize}' must be at most 64M: every dump in progress holds a copy of its ring");
        }
        if (o.DumpQueue is < 0 or > 1024)
        {
            errors.Add($"DumpQueue {o.DumpQueue} must be from 0 to 1024");
        }
        if (o.MinResponseRateBytes < 1)
        {
            errors.Add($"MinResponseRate '{o.MinResponseRate}' must be a positive number of bytes a second (e.g. 16K)");
        }
        // Kestrel checks the rate once a second, so a shorter grace could not be honoured.
        if (o.MinResponseRateGrace <= TimeSpan.FromSeconds(1) || o.MinResponseRateGrace > TimeSpan.FromHours(1))
        {
            errors.Add("MinResponseRateGrace must be longer than 1 second and at most 1 hour");
        }
        if (o.MaxConnections is < 1 or > 65536)
        {
            errors.Add($"MaxConnections {o.MaxConnections} must be from 1 to 65536");
        }
        if (!Path.IsPathRooted(o.SocketPath))
        {
            errors.Add($"SocketPath '{o.SocketPath}' must be an absolute path");
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(o.SocketPath) > 107)
        {
            errors.Add($"SocketPath '{o.SocketPath}' is longer than a Unix socket address allows (107 bytes)");
        }
        if (!Path.IsPathRooted(o.DataDir))
        {
            errors.Add($"DataDir '{o.DataDir}' must be an absolute path");
        }
        if (string.IsNullOrEmpty(o.CgroupHierarchy) || !o.CgroupHierarchy.All(c => char.IsAsciiLetterLower(c) || c == '_'))
        {
            errors.Add($"CgroupHierarchy '{o.CgroupHierarchy}' must be auto, unified, or a cgroup v1 controller name such as memory");
        }
        if (!string.Equals(o.Tls, "on", StringComparison.OrdinalIgnoreCase) && !string.Equals(o.Tls, "off", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Tls '{o.Tls}' must be on or off");
        }
        if (TryParseMode(o.SocketMode) is null)
        {
            errors.Add($"SocketMode '{o.SocketMode}' must be octal permission bits such as 0660");
        }
        if (!string.IsNullOrEmpty(o.ClusterAddress))
        {
            if (ListenAddress.Parse(o.ClusterAddress) is null)
            {
                errors.Add($"ClusterAddress '{o.ClusterAddress}' must be host:port, [v6]:port or :port");
            }
            if (string.IsNullOrEmpty(o.ClusterTlsDir))
            {
                errors.Add("ClusterAddress needs ClusterTlsDir (tls.crt, tls.key, ca.crt): the cluster listener serves only mutual TLS");
            }
        }
        else if (!string.IsNullOrEmpty(o.ClusterTlsDir))
        {
            errors.Add("ClusterTlsDir is set but ClusterAddress is not: give both to listen for the gateway");
        }
        foreach (string? pattern in o.Redact)
        {
            if (Redactor.Check(pattern) is { } problem)
            {
                errors.Add($"Redact pattern '{pattern}' {problem}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static UnixFileMode SocketModeBits(RecorderOptions o) =>
        TryParseMode(o.SocketMode) ?? throw new FormatException($"SocketMode '{o.SocketMode}' is not octal permission bits");

    private static UnixFileMode? TryParseMode(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 4 || !text.All(c => c is >= '0' and <= '7'))
        {
            return null;
        }
        int bits = 0;
        foreach (char c in text)
        {
            bits = bits * 8 + (c - '0');
        }
        return bits <= 0x1ff ? (UnixFileMode)bits : null;
    }
}
