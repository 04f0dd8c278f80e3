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
        if (string.IsNullOrEmpty(group))
        {
            return;
        }
        if (GroupId(group, GroupFile) is not { } gid)
        {
            LogGroupUnknown(logger, group, GroupFile);
        }
        else if (Interop.Libc.chown(path, -1, gid) != 0)
        {
            LogChownFailed(logger, path, group);
        }
    }

    private const string GroupFile = "/etc/group";

    /// <summary>
    /// A numeric gid as it is (the only form that means the host's group from inside a container,
    /// whose /etc/group is the image's), else the group of that name in <paramref name="groupFile"/>.
    /// </summary>
    internal static int? GroupId(string group, string groupFile)
    {
        if (int.TryParse(group, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int numeric))
        {
            return numeric;
        }
        if (!File.Exists(groupFile))
        {
            return null;
        }
        foreach (string line in File.ReadLines(groupFile))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group
                && int.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int gid))
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

    [LoggerMessage(EventId = 11, Level = LogLevel.Information,
        Message = "The socket stays root-only: there is no group {Group} in {GroupFile} (in a container that file is the image's; give --socket-group a numeric gid for a host group)")]
    private static partial void LogGroupUnknown(ILogger logger, string group, string groupFile);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Could not give socket {Path} to group {Group}")]
    private static partial void LogChownFailed(ILogger logger, string path, string group);
}
