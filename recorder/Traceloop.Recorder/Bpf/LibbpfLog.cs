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

    // A verifier log arrives as one message of up to megabytes, and its last lines say why the
    // program was refused: it is formatted whole (a va_list can be used once) into this buffer,
    // which the gate guards, and the warning keeps its first line and its end.
    private const int FormatSize = 4 * 1024 * 1024;
    internal const int WarningTail = 12 * 1024;
    private static unsafe readonly byte* s_format = (byte*)NativeMemory.Alloc(FormatSize);

    [UnmanagedCallersOnly]
    private static unsafe int Print(int level, byte* format, nint args)
    {
        lock (s_gate)
        {
            int n = Interop.Libc.vsnprintf(s_format, FormatSize, format, args);
            if (n <= 0)
            {
                return 0;
            }
            string line = Encoding.UTF8.GetString(s_format, Math.Min(n, FormatSize - 1)).TrimEnd();
            Record(level, level == LIBBPF_WARN ? Shorten(line) : line);
            return n;
        }
    }

    /// <summary>
    /// A warning longer than twice <see cref="WarningTail"/> (a verifier log) keeps its first line,
    /// which names the program, and its last <see cref="WarningTail"/> characters, which say why it
    /// was refused; what is left out is counted.
    /// </summary>
    internal static string Shorten(string line)
    {
        if (line.Length <= 2 * WarningTail)
        {
            return line;
        }
        int firstLine = line.IndexOf('\n') is > 0 and < WarningTail and var i ? i : WarningTail;
        return $"{line[..firstLine]} [... {line.Length - firstLine - WarningTail} characters ...] {line[^WarningTail..]}";
    }

    private static void Record(int level, string line)
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

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "libbpf: {Line}")]
    private static partial void LogWarning(ILogger logger, string line);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "libbpf: {Line}")]
    private static partial void LogInfo(ILogger logger, string line);

    [LoggerMessage(EventId = 102, Level = LogLevel.Trace, Message = "libbpf: {Line}")]
    private static partial void LogDebug(ILogger logger, string line);
}
