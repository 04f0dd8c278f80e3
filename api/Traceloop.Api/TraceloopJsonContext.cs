using System.Text.Json;
using System.Text.Json.Serialization;

namespace Traceloop.Api;

/// <summary>Source-generated JSON for every API type, so the daemon and CLIs stay trimmable and AOT-safe.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ContainerInfo))]
[JsonSerializable(typeof(List<ContainerInfo>))]
[JsonSerializable(typeof(TraceEventDto))]
[JsonSerializable(typeof(DumpHeader))]
[JsonSerializable(typeof(SavedDumpInfo))]
[JsonSerializable(typeof(List<SavedDumpInfo>))]
[JsonSerializable(typeof(DumpTrigger))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(VersionInfo))]
[JsonSerializable(typeof(HealthStatus))]
public sealed partial class TraceloopJsonContext : JsonSerializerContext;

/// <summary>The body of <c>GET /healthz</c>.</summary>
public sealed class HealthStatus
{
    public required string Status { get; init; }

    public int Containers { get; init; }

    /// <summary>What became of the crash notices since start; absent from recorders before it was added.</summary>
    public CrashDumpCounts? CrashDumps { get; init; }
}
