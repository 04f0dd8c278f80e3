namespace Traceloop.Recorder.Decoding;

/// <summary>
/// Linux errno names and glibc's messages for them, as strace prints a failed return
/// ("-1 ENOENT (No such file or directory)"). The data is generated into ErrnoTable.g.cs by
/// scripts/gen-syscall-table.py.
/// </summary>
internal static partial class ErrnoTable
{
    private static readonly string?[] Names;
    private static readonly string?[] Messages;

    static ErrnoTable()
    {
        var entries = CreateEntries();
        var length = entries.Max(e => e.Number) + 1;
        Names = new string?[length];
        Messages = new string?[length];
        foreach (var entry in entries)
        {
            Names[entry.Number] = entry.Name;
            Messages[entry.Number] = entry.Message;
        }
    }

    /// <summary>The errno's symbolic name (2 → "ENOENT"), or null if unknown. Takes the positive errno, not the raw -errno return.</summary>
    public static string? Name(int errno) => (uint)errno < (uint)Names.Length ? Names[errno] : null;

    /// <summary>The errno's message (2 → "No such file or directory"), or null if unknown.</summary>
    public static string? Message(int errno) => (uint)errno < (uint)Messages.Length ? Messages[errno] : null;

    private readonly record struct ErrnoEntry(int Number, string Name, string Message);
}
