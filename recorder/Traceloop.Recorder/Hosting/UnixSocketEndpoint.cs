using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Traceloop.Recorder.Hosting;

/// <summary>The socket file's life: a stale one is removed before binding, a live one is refused, mode and group are set after.</summary>
internal static partial class UnixSocketEndpoint
{
    public static void PrepareForBind(string path)
    {
        string? dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        if (!File.Exists(path))
        {
            return;
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path); // nobody listens: left over from a recorder that died
            return;
        }
        throw new InvalidOperationException($"another process already listens on {path}: is a recorder running? Stop it or pass --socket with another path");
    }

    public static void Secure(string path, UnixFileMode mode, string group, ILogger logger)
    {
        File.SetUnixFileMode(path, mode);
        int? gid = GroupId(group);
        if (gid is { } g && Interop.Libc.chown(path, -1, g) != 0)
        {
            LogChownFailed(logger, path, group);
        }
    }

    private static int? GroupId(string group)
    {
        if (string.IsNullOrEmpty(group) || !File.Exists("/etc/group"))
        {
            return null;
        }
        foreach (string line in File.ReadLines("/etc/group"))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group && int.TryParse(fields[2], out int gid))
            {
                return gid;
            }
        }
        return null;
    }

    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Could not give socket {Path} to group {Group}")]
    private static partial void LogChownFailed(ILogger logger, string path, string group);
}
