using Traceloop.Api;

namespace Traceloop.Recorder.Bpf;

/// <summary>
/// What the kernel leaves out of a container's records (enum tl_capture_level, struct
/// tl_container.level): bytes it never copies cannot reach the ring, a dump or the disk.
/// </summary>
[Flags]
internal enum CaptureLevel : uint
{
    /// <summary>Everything the capture plan names.</summary>
    Full = 0,

    /// <summary>No data buffer (read, write, send, recv and their vectors) and no msghdr control data: those arguments stay addresses.</summary>
    NoPayload = 1 << 0,

    /// <summary>execve's argv strings: only how many there were.</summary>
    NoArgv = 1 << 1,
}

/// <summary>The configuration and API spelling of <see cref="CaptureLevel"/> (<see cref="CaptureLevelNames"/>): <c>full</c>, or a comma list of <c>no-payload</c> and <c>no-argv</c>.</summary>
internal static class CaptureLevels
{
    public static bool TryParse(string? text, out CaptureLevel level, out string? error)
    {
        level = CaptureLevel.Full;
        error = null;
        string[] parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            error = $"a capture level is '{CaptureLevelNames.Full}', '{CaptureLevelNames.NoPayload}', '{CaptureLevelNames.NoArgv}' or '{CaptureLevelNames.NoPayloadNoArgv}', not an empty value";
            return false;
        }
        foreach (string part in parts)
        {
            switch (part.ToLowerInvariant())
            {
                case CaptureLevelNames.Full:
                    break;
                case CaptureLevelNames.NoPayload:
                    level |= CaptureLevel.NoPayload;
                    break;
                case CaptureLevelNames.NoArgv:
                    level |= CaptureLevel.NoArgv;
                    break;
                default:
                    error = $"unknown capture level '{part}': use '{CaptureLevelNames.Full}', '{CaptureLevelNames.NoPayload}', '{CaptureLevelNames.NoArgv}' or '{CaptureLevelNames.NoPayloadNoArgv}'";
                    return false;
            }
        }
        return true;
    }

    public static string Format(CaptureLevel level) => level switch
    {
        CaptureLevel.Full => CaptureLevelNames.Full,
        CaptureLevel.NoPayload => CaptureLevelNames.NoPayload,
        CaptureLevel.NoArgv => CaptureLevelNames.NoArgv,
        _ => CaptureLevelNames.NoPayloadNoArgv,
    };
}
