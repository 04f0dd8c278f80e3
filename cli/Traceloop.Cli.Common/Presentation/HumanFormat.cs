using System.Globalization;

namespace Traceloop.Cli.Common.Presentation;

/// <summary>Ages and sizes as people read them in a table.</summary>
public static class HumanFormat
{
    /// <summary>
    /// An age as kubectl's AGE column shows it (apimachinery's HumanDuration): precise while
    /// short (<c>45s</c>, <c>3m20s</c>), coarser as it grows (<c>5h</c>, <c>2d</c>, <c>3y</c>).
    /// Up to a second in the future counts as now, to tolerate clock skew between machines.
    /// </summary>
    public static string Age(TimeSpan age)
    {
        long seconds = (long)Math.Floor(age.TotalSeconds);
        if (seconds < -1)
        {
            return "<invalid>";
        }
        if (seconds < 0)
        {
            return "0s";
        }
        if (seconds < 120)
        {
            return Invariant($"{seconds}s");
        }
        long minutes = seconds / 60;
        if (minutes < 10)
        {
            return Pair(minutes, "m", seconds % 60, "s");
        }
        if (minutes < 180)
        {
            return Invariant($"{minutes}m");
        }
        long hours = minutes / 60;
        if (hours < 8)
        {
            return Pair(hours, "h", minutes % 60, "m");
        }
        if (hours < 48)
        {
            return Invariant($"{hours}h");
        }
        long days = hours / 24;
        if (days < 8)
        {
            return Pair(days, "d", hours % 24, "h");
        }
        if (days < 365 * 2)
        {
            return Invariant($"{days}d");
        }
        long years = days / 365;
        if (years < 8)
        {
            return Pair(years, "y", days % 365, "d");
        }
        return Invariant($"{years}y");
    }

    /// <summary>The age of <paramref name="time"/> at <paramref name="now"/>.</summary>
    public static string Age(DateTimeOffset time, DateTimeOffset now) => Age(now - time);

    /// <summary>A byte count in binary units: <c>512B</c>, <c>1.5KiB</c>, <c>14MiB</c> (one decimal below 10).</summary>
    public static string Size(long bytes)
    {
        if (bytes < 0)
        {
            return "-" + Size(bytes == long.MinValue ? long.MaxValue : -bytes);
        }
        if (bytes < 1024)
        {
            return Invariant($"{bytes}B");
        }
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        // Rounding 1023.96 KiB up would print 1024KiB: move to the next unit instead.
        if (Math.Round(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value < 9.95
            ? value.ToString("0.#", CultureInfo.InvariantCulture) + units[unit]
            : Math.Round(value).ToString("0", CultureInfo.InvariantCulture) + units[unit];
    }

    /// <summary>A share from 0 to 1 as a whole percentage.</summary>
    public static string Percent(double share) =>
        double.IsFinite(share) ? Math.Round(share * 100).ToString("0", CultureInfo.InvariantCulture) + "%" : "?";

    private static string Pair(long major, string majorUnit, long minor, string minorUnit) =>
        minor == 0 ? Invariant($"{major}{majorUnit}") : Invariant($"{major}{majorUnit}{minor}{minorUnit}");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
