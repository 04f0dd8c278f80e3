using System.Text.Json;
using System.Text.Json.Serialization;
using Traceloop.Api;

namespace Traceloop.Recorder.Store;

/// <summary>
/// The sidecar of a saved dump ("&lt;id&gt;.meta.json"): what GET /dumps lists, plus what was
/// learnt after the dump file was written (the kubelet's reason, the pod's names). The dump
/// file is never rewritten; when a sidecar is lost or unreadable the dump file's own header
/// stands in for it.
/// </summary>
internal sealed class SavedDumpRecord
{
    public required SavedDumpInfo Info { get; set; }

    /// <summary>The container identity retention counts by (see <see cref="RetainedDump.Key"/>).</summary>
    public string? Key { get; set; }

    /// <summary>Bytes of the MessagePack before compression.</summary>
    public long RawBytes { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(SavedDumpRecord))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
