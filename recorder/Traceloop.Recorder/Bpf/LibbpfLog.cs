using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Traceloop.Recorder.Bpf;

/// <summary>
/// Routes libbpf's own messages (the verifier log among them) to the recorder's logger,
/// and keeps the last warnings so a failed load can say why.
/// </summary>
internal static partial class LibbpfLog
{
    private const int LIBBPF_WARN = 0;
    private const int LIBBPF_INFO = 1;

    private static readonly Lock s_gate = new();
    private static readonly Queue<string> s_recent = new();
    private static ILogger? s_logger;

    public static unsafe void Install(ILogger logger)
    {
        lock (s_gate)
        {
            s_logger = logger;
        }
        Interop.Libbpf.libbpf_set_print(&Print);
    }

    /// <summary>The last warnings libbpf printed, oldest first.</summary>
    public static string RecentWarnings()
    {
        lock (s_gate)
        {
            return string.Join(Environment.NewLine, s_recent);
        }
    }

    public static void ClearRecent()
    {
        lock (s_gate)
        {
            s_recent.Clear();
        }
    }

    [UnmanagedCallersOnly]
    private static unsafe int Print(int level, byte* format, nint args)
    {
        const int Size = 4096;
        byte* buffer = stackalloc byte[Size];
        int n = Interop.Libc.vsnprintf(buffer, Size, format, args);
        if (n <= 0)
        {
            return 0;
        }
        string line = Encoding.UTF8.GetString(buffer, Math.Min(n, Size - 1)).TrimEnd();
        lock (s_gate)
        {
            if (level == LIBBPF_WARN)
            {
                s_recent.Enqueue(line);
                while (s_recent.Count > 40)
                {
                    s_recent.Dequeue();
                }
            }
            if (s_logger is { } logger)
            {
                switch (level)
                {
                    case LIBBPF_WARN: LogWarning(logger, line); break;
                    case LIBBPF_INFO: LogInfo(logger, line); break;
                    default: LogDebug(logger, line); break;
                }
            }
        }
        return n;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "libbpf: {Line}")]
    private static partial void LogWarning(ILogger logger, string line);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "libbpf: {Line}")]
    private static partial void LogInfo(ILogger logger, string line);

    [LoggerMessage(EventId = 102, Level = LogLevel.Trace, Message = "libbpf: {Line}")]
    private static partial void LogDebug(ILogger logger, string line);
}
