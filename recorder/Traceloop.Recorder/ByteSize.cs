using System.Globalization;

namespace Traceloop.Recorder;

/// <summary>Sizes as the options give them: "1G", "512M", "64K", "1MiB", "100".</summary>
internal static class ByteSize
{
    /// <summary>A size that fits an int (ring sizes): K and M suffixes, no G.</summary>
    public static int? ParseInt(string? text) => Parse(text, allowGiga: false) is long n && n <= int.MaxValue ? (int)n : null;

    /// <summary>Bytes, or null when the text is none of the accepted forms.</summary>
    public static long? Parse(string? text) => Parse(text, allowGiga: true);

    private static long? Parse(string? text, bool allowGiga)
    {
        if (text is null)
        {
            return null;
        }
        text = text.Trim();
        long multiplier = 1;
        if (text.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
        {
            text = text[..^2];
        }
        else if (text.EndsWith('B') || text.EndsWith('b'))
        {
            text = text[..^1];
        }
        if (text.Length > 0)
        {
            multiplier = char.ToUpperInvariant(text[^1]) switch
            {
                'K' => 1L << 10,
                'M' => 1L << 20,
                'G' when allowGiga => 1L << 30,
                _ => 1,
            };
            if (multiplier != 1)
            {
                text = text[..^1];
            }
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n <= long.MaxValue / multiplier
            ? n * multiplier
            : null;
    }
}
