using System.Globalization;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// Whether this process may reach the files other processes run. <c>/proc/&lt;pid&gt;/maps</c> is
/// readable with less, but <c>/proc/&lt;pid&gt;/root</c> and <c>/exe</c> are guarded by the
/// kernel's ptrace access check: a process without CAP_SYS_PTRACE passes it only for targets of
/// its own uid whose capabilities are a subset of its own, which a container's process (with the
/// runtime's default capabilities) is not, for a recorder that holds only CAP_BPF and CAP_PERFMON.
/// </summary>
internal static class ProcessAccess
{
    private const int CAP_SYS_PTRACE = 19;

    /// <summary>Null when other processes' files can be reached; else why not, as a sentence.</summary>
    public static string? WhyNotReachable(string status = "/proc/self/status")
    {
        ulong effective;
        try
        {
            string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            if (line is null || !ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out effective))
            {
                return $"{status} gives no effective capability set";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {status}: {e.Message}";
        }
        return (effective & (1UL << CAP_SYS_PTRACE)) != 0
            ? null
            : "this recorder lacks CAP_SYS_PTRACE, which reading /proc/<pid>/root of container processes needs: grant it (deploy/base does) or run with --tls off";
    }
}
