using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Traceloop.Cli.Common.Presentation;

/// <summary>
/// Writes a JSON document as block-style YAML, the way kubectl lays it out (a list under a key
/// starts at the key's indentation). It walks a <see cref="JsonElement"/>, so no reflection is
/// involved and it works under Native AOT. Strings are left plain only when no YAML 1.1 or 1.2
/// resolver could read them as anything but a string; otherwise they are double-quoted.
/// </summary>
public static class YamlEmitter
{
    public static void Write(JsonElement value, TextWriter output)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when HasProperties(value):
                WriteMapping(value, output, 0);
                break;
            case JsonValueKind.Array when value.GetArrayLength() > 0:
                WriteSequence(value, output, 0);
                break;
            default:
                output.Write(Scalar(value));
                output.Write('\n');
                break;
        }
    }

    public static string ToYaml(JsonElement value)
    {
        var output = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(value, output);
        return output.ToString();
    }

    private static void WriteMapping(JsonElement mapping, TextWriter output, int indent)
    {
        foreach (JsonProperty property in mapping.EnumerateObject())
        {
            output.Write(new string(' ', indent));
            output.Write(Quote(property.Name));
            output.Write(':');
            WriteValueAfterKey(property.Value, output, indent);
        }
    }

    private static void WriteSequence(JsonElement sequence, TextWriter output, int indent)
    {
        foreach (JsonElement item in sequence.EnumerateArray())
        {
            output.Write(new string(' ', indent));
            output.Write('-');
            if (item.ValueKind == JsonValueKind.Object && HasProperties(item))
            {
                // The first key shares the dash's line; the rest align under it.
                bool first = true;
                foreach (JsonProperty property in item.EnumerateObject())
                {
                    output.Write(first ? " " : new string(' ', indent + 2));
                    first = false;
                    output.Write(Quote(property.Name));
                    output.Write(':');
                    WriteValueAfterKey(property.Value, output, indent + 2);
                }
            }
            else if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() > 0)
            {
                output.Write('\n');
                WriteSequence(item, output, indent + 2);
            }
            else
            {
                output.Write(' ');
                output.Write(Scalar(item));
                output.Write('\n');
            }
        }
    }

    private static void WriteValueAfterKey(JsonElement value, TextWriter output, int indent)
    {
        if (value.ValueKind == JsonValueKind.Object && HasProperties(value))
        {
            output.Write('\n');
            WriteMapping(value, output, indent + 2);
        }
        else if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
        {
            output.Write('\n');
            WriteSequence(value, output, indent);
        }
        else
        {
            output.Write(' ');
            output.Write(Scalar(value));
            output.Write('\n');
        }
    }

    private static bool HasProperties(JsonElement obj)
    {
        using JsonElement.ObjectEnumerator properties = obj.EnumerateObject();
        return properties.MoveNext();
    }

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Quote(value.GetString()!),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null or JsonValueKind.Undefined => "null",
        JsonValueKind.Object => "{}",
        JsonValueKind.Array => "[]",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value.ValueKind, "not a JSON value kind"),
    };

    /// <summary>The string plain when that is unambiguous, else double-quoted with YAML's escapes.</summary>
    public static string Quote(string text) => IsPlainSafe(text) ? text : DoubleQuoted(text);

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    };

    private static bool IsPlainSafe(string text)
    {
        if (text.Length == 0 || Reserved.Contains(text))
        {
            return false;
        }
        // A leading digit, sign or dot could resolve as a number (1e3, .5, 0x1f, 1_000, -.inf, 12:30 in YAML 1.1).
        if (!char.IsAsciiLetter(text[0]) && text[0] != '_' && text[0] != '/')
        {
            return false;
        }
        if (text[^1] == ' ')
        {
            return false;
        }
        foreach (char c in text)
        {
            // Letters, digits and a few punctuation marks that mean nothing in a plain scalar
            // when they are not first; ':' and '#' only matter next to a space, but stay simple.
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ' ' or '@' or '+' or '=' or '(' or ')'))
            {
                return false;
            }
        }
        return true;
    }

    private static string DoubleQuoted(string text)
    {
        var sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                default:
                    // YAML allows only printable characters unescaped: not C0/C1 controls, DEL,
                    // the BOM, line/paragraph separators or a surrogate without its pair.
                    bool pairedSurrogate = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                    if (pairedSurrogate)
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (c < 0x20 || c is >= '\u007f' and <= '\u009f' || c is '\ufeff' or '\u2028' or '\u2029' || char.IsSurrogate(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
