using System.Globalization;

namespace Traceloop.Recorder.Tls;

/// <summary>One line of <c>/proc/&lt;pid&gt;/maps</c>: a mapped range, its permissions and, for a file, its identity and path as the process sees it.</summary>
internal sealed record ProcMapsEntry(ulong Start, ulong End, string Permissions, ulong Offset, FileIdentity File, string Path)
{
    private const string DeletedSuffix = " (deleted)";

    public bool Executable => Permissions.Length >= 3 && Permissions[2] == 'x';

    /// <summary>Backed by a file that still has a path: not anonymous memory, not [heap] or [vdso], not a deleted file.</summary>
    public bool IsFile => File.Inode != 0 && Path.StartsWith('/') && !Path.EndsWith(DeletedSuffix, StringComparison.Ordinal);

    /// <summary>
    /// The entries of a maps file. A line that does not parse is skipped and counted in
    /// <paramref name="malformed"/>: the kernel writes this format, so one means a reader bug,
    /// which should be seen, not a reason to drop the whole process.
    /// </summary>
    public static List<ProcMapsEntry> Parse(string text, out int malformed)
    {
        var entries = new List<ProcMapsEntry>();
        malformed = 0;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryParseLine(line, out ProcMapsEntry? entry))
            {
                entries.Add(entry);
            }
            else
            {
                malformed++;
            }
        }
        return entries;
    }

    // "7f1c2a400000-7f1c2a4b0000 r-xp 00022000 fd:01 1048601                    /usr/lib/x86_64-linux-gnu/libssl.so.3"
    internal static bool TryParseLine(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProcMapsEntry? entry)
    {
        entry = null;
        ReadOnlySpan<char> rest = line;
        if (!NextField(ref rest, out ReadOnlySpan<char> range) || !NextField(ref rest, out ReadOnlySpan<char> permissions)
            || !NextField(ref rest, out ReadOnlySpan<char> offset) || !NextField(ref rest, out ReadOnlySpan<char> device)
            || !NextField(ref rest, out ReadOnlySpan<char> inode))
        {
            return false;
        }
        int dash = range.IndexOf('-');
        int colon = device.IndexOf(':');
        if (dash <= 0 || colon <= 0
            || !ulong.TryParse(range[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            || !ulong.TryParse(range[(dash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end)
            || !ulong.TryParse(offset, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong fileOffset)
            || !uint.TryParse(device[..colon], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint major)
            || !uint.TryParse(device[(colon + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint minor)
            || !ulong.TryParse(inode, NumberStyles.None, CultureInfo.InvariantCulture, out ulong inodeNumber))
        {
            return false;
        }
        entry = new ProcMapsEntry(start, end, permissions.ToString(), fileOffset, new FileIdentity(major, minor, inodeNumber), rest.TrimStart(' ').ToString());
        return true;
    }

    private static bool NextField(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> field)
    {
        rest = rest.TrimStart(' ');
        int space = rest.IndexOf(' ');
        field = space < 0 ? rest : rest[..space];
        rest = space < 0 ? [] : rest[(space + 1)..];
        return !field.IsEmpty;
    }
}
