using System.Globalization;
using System.Security.Cryptography;

namespace Traceloop.Recorder.Store;

/// <summary>
/// Saved dump ids: "20261123T081304123Z-3f9a1c2b", the UTC time taken to the millisecond and
/// eight random hex digits. They sort by time as strings, are safe in URLs and file names, and
/// the random part keeps two recorders (or a restarted one) from ever reusing one.
/// </summary>
internal sealed class DumpIdGenerator(TimeProvider time)
{
    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";
    public const int Length = 19 + 1 + 8;

    private readonly Lock _gate = new();
    private DateTimeOffset _last;

    /// <summary>A new id; the time part never goes backwards within this process, so ids made here sort in the order made.</summary>
    public string Next()
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_gate)
        {
            now = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
            if (now <= _last)
            {
                now = _last.AddMilliseconds(1);
            }
            _last = now;
        }
        return Format(now, RandomNumberGenerator.GetHexString(8, lowercase: true));
    }

    public static string Format(DateTimeOffset at, string random) =>
        at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) + "-" + random;

    /// <summary>True for a well-formed id; anything else (a path, dots, slashes) is refused before it reaches the file system.</summary>
    public static bool IsValid(string? id)
    {
        if (id is null || id.Length != Length || id[8] != 'T' || id[18] != 'Z' || id[19] != '-')
        {
            return false;
        }
        for (int i = 0; i < Length; i++)
        {
            char c = id[i];
            bool ok = i switch
            {
                8 or 18 or 19 => true,
                < 18 => char.IsAsciiDigit(c),
                _ => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c),
            };
            if (!ok)
            {
                return false;
            }
        }
        return DateTime.TryParseExact(id[..19], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _);
    }
}
