using System.Globalization;
using System.Text;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Decoding;

/// <summary>Renders one syscall argument the way strace does, as far as this recorder decodes it.</summary>
internal static class ArgumentText
{
    private const int AT_FDCWD = -100;

    public static void Append(StringBuilder sb, ParamKind kind, ulong raw, scoped in Payload payload, bool hasPayload, PayloadShape shape = PayloadShape.Struct)
    {
        if (hasPayload && TryAppendPayload(sb, raw, payload, shape))
        {
            return;
        }
        switch (kind)
        {
            case ParamKind.Fd:
                int fd = (int)raw;
                if (fd == AT_FDCWD)
                {
                    sb.Append("AT_FDCWD");
                }
                else
                {
                    sb.Append(fd);
                }
                break;
            case ParamKind.Int:
                sb.Append((int)raw);
                break;
            case ParamKind.UInt:
                sb.Append((uint)raw);
                break;
            case ParamKind.Long:
                sb.Append((long)raw);
                break;
            case ParamKind.ULong:
            case ParamKind.Size:
                sb.Append(raw);
                break;
            case ParamKind.Pointer:
            case ParamKind.String:
                if (raw == 0)
                {
                    sb.Append("NULL");
                }
                else
                {
                    AppendHex(sb, raw);
                }
                break;
            default:
                AppendHex(sb, raw);
                break;
        }
    }

    /// <summary>Appends what the kernel read for an argument, or returns false (nothing read, or a struct with no renderer yet).</summary>
    public static bool TryAppendPayload(StringBuilder sb, ulong raw, scoped in Payload payload, PayloadShape shape)
    {
        if ((payload.Flags & PayloadFlags.Fault) != 0)
        {
            return false;
        }
        switch (payload.Kind)
        {
            case PayloadKind.String when shape == PayloadShape.TaskName:
                // A name of 16 bytes or more had no NUL within the 16 strace reads: it shows 15 and "...".
                bool cut = payload.Data.Length >= CaptureTable.TaskNameBytes || payload.Truncated;
                AppendQuoted(sb, cut ? payload.Data[..Math.Min(payload.Data.Length, CaptureTable.TaskNameBytes - 1)] : payload.Data, cut);
                return true;
            case PayloadKind.String:
                AppendQuoted(sb, payload.Data, payload.Truncated);
                return true;
            case PayloadKind.StringArray:
                AppendStringArray(sb, payload.Data, payload.Truncated);
                return true;
            case PayloadKind.Count when payload.Data.Length >= 4:
                AppendAddress(sb, raw);
                uint count = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(payload.Data);
                sb.Append(" /* ").Append(count).Append(shape switch
                {
                    PayloadShape.Vars => count == 1 ? " var */" : " vars */",
                    PayloadShape.Argv => count == 1 ? " arg */" : " args */",
                    _ => " entries */",
                });
                return true;
            case PayloadKind.Bytes when shape == PayloadShape.Text:
                AppendQuoted(sb, payload.Data, payload.Truncated);
                return true;
            case PayloadKind.Bytes when shape == PayloadShape.Hex:
                AppendHexQuoted(sb, payload.Data, payload.Truncated);
                return true;
            case PayloadKind.Bytes when shape == PayloadShape.CString:
                // getcwd's return value counts the NUL; strace prints the string without it.
                ReadOnlySpan<byte> text = payload.Data;
                int nul = text.IndexOf((byte)0);
                AppendQuoted(sb, nul >= 0 ? text[..nul] : text, payload.Truncated);
                return true;
            default:
                return false;
        }
    }

    /// <summary>An argv array: <c>["sh", "-c", "exit 3"]</c>, with <c>...</c> when cut.</summary>
    public static void AppendStringArray(StringBuilder sb, ReadOnlySpan<byte> data, bool truncated)
    {
        sb.Append('[');
        bool first = true;
        while (!data.IsEmpty)
        {
            int nul = data.IndexOf((byte)0);
            ReadOnlySpan<byte> item = nul < 0 ? data : data[..nul];
            if (!first)
            {
                sb.Append(", ");
            }
            AppendQuoted(sb, item, truncated: nul < 0);
            first = false;
            data = nul < 0 ? default : data[(nul + 1)..];
        }
        if (truncated)
        {
            sb.Append(first ? "..." : ", ...");
        }
        sb.Append(']');
    }

    /// <summary>strace's address form: NULL for zero, hex otherwise.</summary>
    public static void AppendAddress(StringBuilder sb, ulong raw)
    {
        if (raw == 0)
        {
            sb.Append("NULL");
        }
        else
        {
            AppendHex(sb, raw);
        }
    }

    public static void AppendHex(StringBuilder sb, ulong raw)
    {
        sb.Append(CultureInfo.InvariantCulture, $"0x{raw:x}");
    }

    /// <summary>Bytes as strace quotes them with QUOTE_FORCE_HEX (getrandom): every byte as <c>\xNN</c>, lowercase.</summary>
    public static void AppendHexQuoted(StringBuilder sb, ReadOnlySpan<byte> data, bool truncated)
    {
        const string digits = "0123456789abcdef";
        sb.Append('"');
        foreach (byte b in data)
        {
            sb.Append('\\').Append('x').Append(digits[b >> 4]).Append(digits[b & 15]);
        }
        sb.Append('"');
        if (truncated)
        {
            sb.Append("...");
        }
    }

    /// <summary>
    /// A C string as strace prints it: printable ASCII as is, the usual escapes, other bytes
    /// as octal, and <c>...</c> after the closing quote when it was cut.
    /// </summary>
    public static void AppendQuoted(StringBuilder sb, ReadOnlySpan<byte> data, bool truncated)
    {
        sb.Append('"');
        for (int i = 0; i < data.Length; i++)
        {
            byte b = data[i];
            switch (b)
            {
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\v': sb.Append("\\v"); break;
                case (byte)'\f': sb.Append("\\f"); break;
                default:
                    if (b >= 0x20 && b < 0x7f)
                    {
                        sb.Append((char)b);
                    }
                    else
                    {
                        // Shortest octal form, unless a digit follows and would be read into it.
                        // strace 6.1 pads to three digits only when an octal digit follows (checked:
                        // it prints "\\339" for 0x1b then '9').
                        bool digitNext = i + 1 < data.Length && data[i + 1] >= (byte)'0' && data[i + 1] <= (byte)'7';
                        sb.Append('\\');
                        if (digitNext || b >= 64)
                        {
                            sb.Append((char)('0' + (b >> 6)));
                        }
                        if (digitNext || b >= 8)
                        {
                            sb.Append((char)('0' + ((b >> 3) & 7)));
                        }
                        sb.Append((char)('0' + (b & 7)));
                    }
                    break;
            }
        }
        sb.Append('"');
        if (truncated)
        {
            sb.Append("...");
        }
    }
}
