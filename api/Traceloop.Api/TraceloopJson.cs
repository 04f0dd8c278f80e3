using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Traceloop.Api;

/// <summary>
/// The JSON settings of the API: camelCase, enums as strings, nulls omitted, and characters
/// such as ' and + left as they are (safe in JSON, and people read dumps).
/// </summary>
public static class TraceloopJson
{
    public static TraceloopJsonContext Context { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static JsonSerializerOptions Options => Context.Options;
}
