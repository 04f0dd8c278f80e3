using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Traceloop.Recorder.Dumps;

/// <summary>
/// The operator's <c>--redact</c> patterns, applied to captured bytes: every match in a value is
/// replaced by the ten bytes <c>&lt;redacted&gt;</c>; overlapping or adjacent matches (of one
/// pattern or of several) become one marker, so the result does not depend on the patterns' order
/// and no pattern ever matches inside a marker another one put there.
/// </summary>
/// <remarks>
/// <para>
/// Values are bytes, not text: a buffer may be binary or invalid UTF-8. Each byte is decoded as
/// Latin-1, which maps every byte 0x00-0xFF to the char of the same number, so the pattern runs
/// over exactly as many chars as there are bytes, every match maps back to the bytes it covers,
/// nothing fails to decode and an ASCII pattern matches the ASCII inside binary data. The price:
/// a non-ASCII char in a pattern stands for one byte (<c>é</c> is 0xE9), so text in UTF-8 is
/// matched by its bytes (<c>\xC3\xA9</c>).
/// </para>
/// <para>
/// Patterns are only known at run time, so the regex source generator cannot be used, and the
/// recorder ships as Native AOT, where <see cref="RegexOptions.Compiled"/> is ignored (no
/// Reflection.Emit): the interpreter runs them. They are built without Compiled, so tests under
/// the JIT measure the engine the release runs. A backtracking pattern can take exponential
/// time; each match has a timeout, and a value whose matching timed out is redacted whole (fail
/// closed). After <see cref="TimeoutsPerPass"/> timeouts in one dump the rest of that dump's
/// values are redacted whole without matching, so one bad pattern costs a dump at most that many
/// timeouts, not one per value.
/// </para>
/// </remarks>
internal sealed partial class Redactor
{
    /// <summary>What a match becomes, in text and in payload bytes.</summary>
    public const string Marker = "<redacted>";

    /// <summary>How long one pattern may take over one value.</summary>
    public static readonly TimeSpan DefaultMatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Timeouts in one dump after which its remaining values are redacted whole, unmatched.</summary>
    public const int TimeoutsPerPass = 3;

    // Not Compiled: see the remarks. CultureInvariant: the same answer on every node.
    private const RegexOptions PatternOptions = RegexOptions.CultureInvariant;

    // Values up to this size are decoded into stack memory.
    private const int StackChars = 512;

    private readonly Regex[] _patterns;
    private readonly ILogger _logger;
    private long _timeouts;

    public Redactor(IEnumerable<string> patterns, ILogger<Redactor> logger)
        : this(patterns, DefaultMatchTimeout, logger)
    {
    }

    public Redactor(IEnumerable<string> patterns, TimeSpan matchTimeout, ILogger logger)
    {
        _patterns = [.. patterns.Select(p => new Regex(p, PatternOptions, matchTimeout))];
        _logger = logger;
    }

    /// <summary>No patterns: nothing is changed and no dump is copied.</summary>
    public static Redactor None { get; } = new([], NullLogger<Redactor>.Instance);

    public static ReadOnlySpan<byte> MarkerBytes => "<redacted>"u8;

    public bool Enabled => _patterns.Length > 0;

    /// <summary>Values redacted whole because matching them timed out, since start.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Why <paramref name="pattern"/> cannot be used, or null when it can.</summary>
    public static string? Check(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return "is empty";
        }
        try
        {
            if (new Regex(pattern, PatternOptions, DefaultMatchTimeout).IsMatch(""))
            {
                return "matches the empty string, so it would mark every position";
            }
            return null;
        }
        catch (ArgumentException e)
        {
            return $"is not a valid regular expression ({e.Message.TrimEnd('.')})";
        }
        catch (RegexMatchTimeoutException)
        {
            return "takes longer than its timeout to match the empty string";
        }
    }

    /// <summary>Starts redacting one dump: its timeouts are counted together.</summary>
    public RedactionPass Begin() => new();

    /// <summary>
    /// <paramref name="value"/> with every match replaced by the marker, or null when nothing
    /// matched (the caller keeps the original bytes, nothing is allocated).
    /// </summary>
    public byte[]? Redact(ReadOnlySpan<byte> value, RedactionPass pass)
    {
        if (_patterns.Length == 0 || value.IsEmpty)
        {
            return null;
        }
        if (pass.GaveUp)
        {
            return MarkerBytes.ToArray();
        }
        char[]? rented = null;
        Span<char> text = value.Length <= StackChars
            ? stackalloc char[StackChars]
            : (rented = ArrayPool<char>.Shared.Rent(value.Length));
        text = text[..value.Length];
        List<(int Start, int End)>? spans = null;
        try
        {
            Encoding.Latin1.GetChars(value, text);
            foreach (Regex pattern in _patterns)
            {
                foreach (ValueMatch match in pattern.EnumerateMatches(text))
                {
                    if (match.Length > 0)
                    {
                        (spans ??= []).Add((match.Index, match.Index + match.Length));
                    }
                }
            }
        }
        catch (RegexMatchTimeoutException)
        {
            pass.TimedOut++;
            Interlocked.Increment(ref _timeouts);
            return MarkerBytes.ToArray();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
        return spans is null ? null : Replace(value, spans);
    }

    /// <summary>Logs what a finished pass had to redact whole, if anything.</summary>
    public void Finish(RedactionPass pass, string containerId)
    {
        if (pass.TimedOut > 0)
        {
            LogTimedOut(_logger, containerId, pass.TimedOut, pass.GaveUp ? "; the rest of the dump was redacted whole, unmatched" : "");
        }
    }

    private static byte[] Replace(ReadOnlySpan<byte> value, List<(int Start, int End)> spans)
    {
        spans.Sort();
        var output = new ArrayBufferWriter<byte>(value.Length + Marker.Length);
        int copied = 0;
        int i = 0;
        while (i < spans.Count)
        {
            (int start, int end) = spans[i++];
            // Overlapping and touching matches are one secret: one marker.
            while (i < spans.Count && spans[i].Start <= end)
            {
                end = Math.Max(end, spans[i++].End);
            }
            output.Write(value[copied..start]);
            output.Write(MarkerBytes);
            copied = end;
        }
        output.Write(value[copied..]);
        return output.WrittenSpan.ToArray();
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "Redaction of container {ContainerId}'s dump timed out on {Count} values, which were redacted whole{Rest}")]
    private static partial void LogTimedOut(ILogger logger, string containerId, int count, string rest);
}

/// <summary>One dump's redaction: its timeouts, and the command names already checked.</summary>
internal sealed class RedactionPass
{
    public int TimedOut { get; set; }

    public bool GaveUp => TimedOut >= Redactor.TimeoutsPerPass;

    /// <summary>The 16 bytes of a record's comm → what to write instead (null: keep it). A dump has few names and many records.</summary>
    internal Dictionary<(ulong, ulong), byte[]?> Comms { get; } = [];
}
