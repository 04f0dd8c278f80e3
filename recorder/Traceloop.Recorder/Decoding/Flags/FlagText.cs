using System.Globalization;
using System.Text;

namespace Traceloop.Recorder.Decoding.Flags;

/// <summary>
/// The number formats strace prints raw values in. Every method appends to the caller's
/// <see cref="StringBuilder"/> and formats into it or onto the stack, so a reused builder
/// never allocates.
/// </summary>
internal static class FlagText
{
    /// <summary>C's <c>%#x</c>: <c>0x1f</c>, and a bare <c>0</c> for zero.</summary>
    public static void Hex(StringBuilder sb, ulong value)
    {
        if (value == 0)
        {
            sb.Append('0');
            return;
        }
        AppendPrefixedHex(sb, value);
    }

    /// <summary>strace's <c>printaddr</c>: <c>NULL</c> for zero, otherwise hex.</summary>
    public static void Address(StringBuilder sb, ulong value)
    {
        if (value == 0)
        {
            sb.Append("NULL");
            return;
        }
        AppendPrefixedHex(sb, value);
    }

    // Formatted on the stack: an interpolated append boxes the value on this path.
    private static void AppendPrefixedHex(StringBuilder sb, ulong value)
    {
        Span<char> digits = stackalloc char[18];
        digits[0] = '0';
        digits[1] = 'x';
        value.TryFormat(digits[2..], out int written, "x", CultureInfo.InvariantCulture);
        sb.Append(digits[..(written + 2)]);
    }

    public static void Decimal(StringBuilder sb, long value) => sb.Append(value);

    public static void Unsigned(StringBuilder sb, ulong value) => sb.Append(value);

    /// <summary>A file mode as strace prints it, C's <c>%#03o</c>: <c>000</c>, <c>022</c>, <c>0644</c>, <c>0100644</c>.</summary>
    public static void Octal(StringBuilder sb, ulong value)
    {
        Span<char> digits = stackalloc char[24];
        int start = digits.Length;
        do
        {
            digits[--start] = (char)('0' + (int)(value & 7));
            value >>= 3;
        }
        while (value != 0);
        if (digits[start] != '0')
        {
            digits[--start] = '0';
        }
        while (digits.Length - start < 3)
        {
            digits[--start] = '0';
        }
        sb.Append(digits[start..]);
    }

    /// <summary>An unknown value in strace's style: <c>0x1b /* IP_??? */</c>.</summary>
    public static void Unknown(StringBuilder sb, ulong value, string unknownName)
    {
        Hex(sb, value);
        sb.Append(" /* ").Append(unknownName).Append(" */");
    }
}
