using System.Buffers.Binary;
using System.Text;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// What every struct renderer shares: little-endian reads of user memory, strace's quoting of
/// strings and the way it closes a struct it could read only in part.
/// </summary>
/// <remarks>
/// Each renderer takes the bytes as they were in user memory (x86-64: little-endian, LP64) and
/// may get fewer than the whole struct when the capture was cut. It then prints the fields that
/// are all there and closes with <c>...}</c>, the way strace ends a struct it abbreviates; when
/// not even the first field is there it appends nothing and returns false, and the caller prints
/// the pointer, as strace does for memory it cannot read.
/// </remarks>
internal static class StructText
{
    public static bool Has(ReadOnlySpan<byte> data, int offset, int size) => offset >= 0 && size >= 0 && data.Length >= offset + size;

    public static ushort U16(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(data[offset..]);

    public static uint U32(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);

    public static int I32(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadInt32LittleEndian(data[offset..]);

    public static ulong U64(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]);

    public static long I64(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadInt64LittleEndian(data[offset..]);

    /// <summary>Network byte order, as sin_port and sin6_flowinfo are stored.</summary>
    public static ushort U16BigEndian(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);

    public static uint U32BigEndian(ReadOnlySpan<byte> data, int offset) => BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);

    /// <summary>Closes a struct whose remaining fields were not captured: <c>, ...}</c>.</summary>
    public static bool Cut(StringBuilder sb)
    {
        sb.Append(", ...}");
        return true;
    }

    /// <summary>
    /// Bytes as strace's <c>string_quote</c> prints them: in double quotes, printable ASCII as is,
    /// <c>\" \\ \f \n \r \t \v</c>, any other byte in octal, three digits when an octal digit
    /// follows (<c>"\33[" "\0337" "\339"</c>). <c>...</c> after the closing quote when
    /// <paramref name="more"/>.
    /// </summary>
    public static void AppendQuoted(StringBuilder sb, ReadOnlySpan<byte> data, bool more = false)
    {
        sb.Append('"');
        AppendEscaped(sb, data);
        sb.Append('"');
        if (more)
        {
            sb.Append("...");
        }
    }

    /// <summary>
    /// A C string in a fixed-size field, as strace's <c>print_quoted_cstring</c> prints it: up to the
    /// first NUL among the first size - 1 bytes, and <c>...</c> when the last byte is no NUL either.
    /// </summary>
    public static void AppendFixedString(StringBuilder sb, ReadOnlySpan<byte> field)
    {
        if (field.IsEmpty)
        {
            sb.Append("\"\"");
            return;
        }
        ReadOnlySpan<byte> text = field[..^1];
        int nul = text.IndexOf((byte)0);
        if (nul >= 0)
        {
            AppendQuoted(sb, text[..nul]);
            return;
        }
        AppendQuoted(sb, text, more: field[^1] != 0);
    }

    /// <summary>Bytes up to the first NUL (or all of them), quoted, never with <c>...</c>.</summary>
    public static void AppendUntilNul(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        int nul = data.IndexOf((byte)0);
        AppendQuoted(sb, nul >= 0 ? data[..nul] : data);
    }

    /// <summary>Every byte as <c>\xNN</c> in quotes (strace's QUOTE_FORCE_HEX).</summary>
    public static void AppendHexQuoted(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        sb.Append('"');
        foreach (byte b in data)
        {
            sb.Append('\\').Append('x').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xf));
        }
        sb.Append('"');
    }

    private static void AppendEscaped(StringBuilder sb, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            byte b = data[i];
            switch (b)
            {
                case (byte)'"':
                    sb.Append("\\\"");
                    break;
                case (byte)'\\':
                    sb.Append("\\\\");
                    break;
                case (byte)'\f':
                    sb.Append("\\f");
                    break;
                case (byte)'\n':
                    sb.Append("\\n");
                    break;
                case (byte)'\r':
                    sb.Append("\\r");
                    break;
                case (byte)'\t':
                    sb.Append("\\t");
                    break;
                case (byte)'\v':
                    sb.Append("\\v");
                    break;
                default:
                    if (b is >= 0x20 and < 0x7f)
                    {
                        sb.Append((char)b);
                    }
                    else
                    {
                        sb.Append('\\');
                        bool octalDigitNext = i + 1 < data.Length && data[i + 1] is >= (byte)'0' and <= (byte)'7';
                        if (octalDigitNext || b >= 64)
                        {
                            sb.Append((char)('0' + (b >> 6)));
                        }
                        if (octalDigitNext || b >= 8)
                        {
                            sb.Append((char)('0' + ((b >> 3) & 7)));
                        }
                        sb.Append((char)('0' + (b & 7)));
                    }
                    break;
            }
        }
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
}
