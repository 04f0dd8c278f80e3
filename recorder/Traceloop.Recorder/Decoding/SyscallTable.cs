using System.Collections.Concurrent;
using System.Globalization;

namespace Traceloop.Recorder.Decoding;

/// <summary>How a decoder renders one raw syscall argument register.</summary>
/// <remarks>scripts/gen-syscall-table.py documents which C types and names map to which kind.</remarks>
internal enum ParamKind : byte
{
    Int,
    UInt,
    Long,
    ULong,
    Fd,
    Pointer,

    /// <summary>A NUL-terminated string in user memory (a path, an xattr name...); buffers that come with a length are <see cref="Pointer"/>.</summary>
    String,
    Size,

    /// <summary>A type the generator did not map, or an argument of a syscall whose parameters are not known: print it as hex.</summary>
    Unknown,
}

/// <summary>One syscall parameter as the kernel's SYSCALL_DEFINE declares it.</summary>
internal readonly record struct SyscallParam(string Name, string CType, ParamKind Kind);

internal sealed class SyscallInfo
{
    /// <summary>
    /// The parameters of a syscall the generating kernel had no tracepoint format for (not
    /// configured in, or a sys_ni_syscall slot): the six argument registers, printed raw.
    /// </summary>
    internal static readonly SyscallParam[] RawArgs =
    [
        new("arg0", "unsigned long", ParamKind.Unknown),
        new("arg1", "unsigned long", ParamKind.Unknown),
        new("arg2", "unsigned long", ParamKind.Unknown),
        new("arg3", "unsigned long", ParamKind.Unknown),
        new("arg4", "unsigned long", ParamKind.Unknown),
        new("arg5", "unsigned long", ParamKind.Unknown),
    ];

    public SyscallInfo(int number, string name, SyscallParam[] @params, bool paramsKnown)
    {
        Number = number;
        Name = name;
        Params = @params;
        ParamsKnown = paramsKnown;
    }

    public int Number { get; }

    public string Name { get; }

    /// <summary>The parameters in register order; <see cref="RawArgs"/> when <see cref="ParamsKnown"/> is false. Shared by every caller: never mutate.</summary>
    public SyscallParam[] Params { get; }

    public bool ParamsKnown { get; }

    public override string ToString() => Name;
}

/// <summary>
/// The x86-64 syscalls, by number and by name. The data is generated into SyscallTable.g.cs
/// by scripts/gen-syscall-table.py; lookups by number index an array and never allocate.
/// </summary>
internal static partial class SyscallTable
{
    // A traced process can pass any number to syscall(2) (and the x32 ABI sets bit 30), so the
    // names made up for numbers beyond the table are cached only up to a bound.
    private const int MaxCachedUnknownNames = 256;

    private static readonly SyscallInfo?[] ByNumber;
    private static readonly string[] NamesByNumber;
    private static readonly Dictionary<string, int> NumbersByName;
    private static readonly ConcurrentDictionary<int, string> UnknownNames = new();
    private static int s_unknownNamesCached;

    static SyscallTable()
    {
        var entries = CreateEntries();
        MaxNumber = entries.Max(e => e.Number);
        ByNumber = new SyscallInfo?[MaxNumber + 1];
        NumbersByName = new Dictionary<string, int>(entries.Length, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            ByNumber[entry.Number] = entry;
            NumbersByName.Add(entry.Name, entry.Number);
        }

        NamesByNumber = new string[MaxNumber + 1];
        for (var nr = 0; nr <= MaxNumber; nr++)
        {
            NamesByNumber[nr] = ByNumber[nr]?.Name ?? UnknownName(nr);
        }
    }

    /// <summary>The highest syscall number in the table; numbers above it are unknown.</summary>
    public static int MaxNumber { get; }

    public static SyscallInfo? Get(int nr) => (uint)nr < (uint)ByNumber.Length ? ByNumber[nr] : null;

    /// <summary>The syscall's name, or "syscall_&lt;nr&gt;" in decimal for a number the table does not know.</summary>
    public static string Name(int nr)
    {
        if ((uint)nr < (uint)NamesByNumber.Length)
        {
            return NamesByNumber[nr];
        }

        if (UnknownNames.TryGetValue(nr, out var name))
        {
            return name;
        }

        name = UnknownName(nr);
        if (Interlocked.Increment(ref s_unknownNamesCached) <= MaxCachedUnknownNames)
        {
            UnknownNames.TryAdd(nr, name);
        }

        return name;
    }

    public static bool TryGetNumber(string name, out int nr) => NumbersByName.TryGetValue(name, out nr);

    private static string UnknownName(int nr) => "syscall_" + nr.ToString(CultureInfo.InvariantCulture);
}
