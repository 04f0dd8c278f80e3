using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Traceloop.Cli.Common.Presentation;

/// <summary>How a listing is printed: a table for people, JSON or YAML for scripts.</summary>
public enum OutputFormat
{
    Table,
    Json,
    Yaml,
}

/// <summary><c>-o json</c> and <c>-o yaml</c> of the API types, through the source-generated JSON contract (AOT-safe).</summary>
public static class StructuredOutput
{
    /// <summary>The values <c>-o</c> accepts, as the help text lists them.</summary>
    public static readonly string[] Names = ["table", "json", "yaml"];

    public static bool TryParse(string? text, out OutputFormat format)
    {
        switch (text?.ToLowerInvariant())
        {
            case null or "" or "table" or "wide":
                format = OutputFormat.Table;
                return true;
            case "json":
                format = OutputFormat.Json;
                return true;
            case "yaml":
                format = OutputFormat.Yaml;
                return true;
            default:
                format = OutputFormat.Table;
                return false;
        }
    }

    /// <summary>Indented JSON, as the API's JSON contract spells the fields, ending with a newline.</summary>
    public static void WriteJson<T>(T value, JsonTypeInfo<T> type, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            JsonSerializer.Serialize(writer, value, type);
        }
        output.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        output.Write('\n');
    }

    public static void WriteYaml<T>(T value, JsonTypeInfo<T> type, TextWriter output) =>
        YamlEmitter.Write(JsonSerializer.SerializeToElement(value, type), output);

    public static void Write<T>(OutputFormat format, T value, JsonTypeInfo<T> type, TextWriter output)
    {
        switch (format)
        {
            case OutputFormat.Json:
                WriteJson(value, type, output);
                break;
            case OutputFormat.Yaml:
                WriteYaml(value, type, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "tables are written by the command that knows the columns");
        }
    }
}
