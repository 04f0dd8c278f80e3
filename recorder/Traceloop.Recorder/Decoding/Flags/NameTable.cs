using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>One constant of a <see cref="NameTable"/>: its value and its C name.</summary>
internal readonly record struct Named(ulong Value, string Name);

/// <summary>
/// A list of named constants, strace's "xlat": printed either as one value (<see cref="AppendValue"/>,
/// strace's <c>printxval</c>) or as a set of flags (<see cref="AppendFlags"/>, <c>printflags</c>).
/// </summary>
/// <remarks>
/// The order of the entries is the order strace prints flags in, and it matters where an entry
/// has several bits: <c>O_SYNC</c> (<c>__O_SYNC|O_DSYNC</c>) must come before <c>O_DSYNC</c> so that it
/// claims both bits. Each table was checked against strace 6.1 (see the tests).
/// </remarks>
internal sealed class NameTable
{
    private readonly Named[] _entries;

    public NameTable(string unknownName, params Named[] entries)
    {
        UnknownName = unknownName;
        _entries = entries;
    }

    /// <summary>What strace calls a value it does not know, in a comment: <c>O_???</c>.</summary>
    public string UnknownName { get; }

    public ReadOnlySpan<Named> Entries => _entries;

    public string? Find(ulong value)
    {
        foreach (ref readonly Named entry in _entries.AsSpan())
        {
            if (entry.Value == value)
            {
                return entry.Name;
            }
        }
        return null;
    }

    /// <summary>The value's name, or <c>0x1b /* X_??? */</c>.</summary>
    public void AppendValue(StringBuilder sb, ulong value)
    {
        string? name = Find(value);
        if (name is not null)
        {
            sb.Append(name);
        }
        else
        {
            FlagText.Unknown(sb, value, UnknownName);
        }
    }

    /// <summary>
    /// The names of the set flags joined by <c>|</c>, unknown bits last as hex (<c>O_CREAT|0x40000000</c>).
    /// Zero prints as the table's zero entry if it has one, else <c>0</c>; a value with no known
    /// bit prints as <c>0x40 /* X_??? */</c>.
    /// </summary>
    public void AppendFlags(StringBuilder sb, ulong value) => AppendFlags(sb, value, comment: true);

    /// <summary>
    /// As <see cref="AppendFlags(StringBuilder, ulong)"/>; without <paramref name="comment"/>, a value
    /// with no known bit prints as bare hex and zero prints nothing (strace's <c>printflags_ex</c>
    /// with no default, used after a prefix that was already printed).
    /// </summary>
    public void AppendFlags(StringBuilder sb, ulong value, bool comment)
    {
        int printed = 0;
        foreach (ref readonly Named entry in _entries.AsSpan())
        {
            if (value == 0 && printed > 0)
            {
                break;
            }
            if (entry.Value == value || (entry.Value != 0 && (value & entry.Value) == entry.Value))
            {
                if (printed++ > 0)
                {
                    sb.Append('|');
                }
                sb.Append(entry.Name);
                value &= ~entry.Value;
            }
        }
        if (printed > 0)
        {
            if (value != 0)
            {
                sb.Append('|');
                FlagText.Hex(sb, value);
            }
        }
        else if (value != 0)
        {
            FlagText.Hex(sb, value);
            if (comment)
            {
                sb.Append(" /* ").Append(UnknownName).Append(" */");
            }
        }
        else if (comment)
        {
            sb.Append('0');
        }
    }
}
