using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// JSON for the one KubernetesClient model the recorder writes, an Event. KubernetesJson's own
/// context would root the metadata of every kind under Native AOT (see PodModel.cs); this one
/// roots the Event's types only. Times are written as ISO 8601 UTC, which the API server reads
/// as RFC 3339.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Corev1Event))]
internal sealed partial class EventJsonContext : JsonSerializerContext;
