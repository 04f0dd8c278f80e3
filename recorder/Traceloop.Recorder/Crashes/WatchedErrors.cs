using System.Diagnostics.CodeAnalysis;
using Traceloop.Recorder.Decoding;

namespace Traceloop.Recorder.Crashes;

/// <summary>Parses the syscall-error trigger's list: "connect:ECONNREFUSED,openat:EACCES".</summary>
internal static class WatchedErrors
{
    public const int MaxPairs = 64;

    public static bool TryParse(string? text, [NotNullWhen(true)] out List<(int Nr, int Errno)>? pairs, [NotNullWhen(false)] out string? error)
    {
        pairs = [];
        error = null;
        foreach (string item in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = item.Split(':');
            if (parts.Length != 2)
            {
                error = $"'{item}' is not syscall:ERRNO (e.g. connect:ECONNREFUSED)";
                pairs = null;
                return false;
            }
            if (!SyscallTable.TryGetNumber(parts[0], out int nr))
            {
                error = $"'{parts[0]}' is not a syscall name this recorder knows";
                pairs = null;
                return false;
            }
            if (ErrnoNumber(parts[1]) is not int errno)
            {
                error = $"'{parts[1]}' is not an errno name such as ECONNREFUSED";
                pairs = null;
                return false;
            }
            if (!pairs.Contains((nr, errno)))
            {
                pairs.Add((nr, errno));
            }
        }
        if (pairs.Count > MaxPairs)
        {
            error = $"at most {MaxPairs} syscall:ERRNO pairs can be watched";
            pairs = null;
            return false;
        }
        return true;
    }

    private static int? ErrnoNumber(string name)
    {
        for (int errno = 1; errno < 4096; errno++)
        {
            if (ErrnoTable.Name(errno) == name)
            {
                return errno;
            }
        }
        return null;
    }
}
