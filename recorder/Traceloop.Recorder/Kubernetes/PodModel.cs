using System.Text.Json;
using System.Text.Json.Serialization;

namespace Traceloop.Recorder.Kubernetes;

// The part of the core/v1 Pod schema the recorder reads; the API server's other fields are
// skipped by the reader. KubernetesClient's models would do, but their source-generated JSON
// metadata covers every kind in every API group and, under Native AOT, all of it is rooted
// by the first deserialization: about 12 MB of code and 20 MB of resident memory per node.
// Field names are the API's (camelCase); see docs/ARCHITECTURE.md, "Kubernetes".

internal sealed class Pod
{
    public ObjectMeta? Metadata { get; set; }

    public PodSpec? Spec { get; set; }

    public PodStatus? Status { get; set; }
}

internal sealed class ObjectMeta
{
    public string? Name { get; set; }

    public string? Namespace { get; set; }

    public string? Uid { get; set; }

    public string? ResourceVersion { get; set; }

    public Dictionary<string, string>? Labels { get; set; }
}

internal sealed class PodSpec
{
    public string? NodeName { get; set; }

    public List<ContainerSpec>? InitContainers { get; set; }

    public List<ContainerSpec>? Containers { get; set; }

    public List<ContainerSpec>? EphemeralContainers { get; set; }
}

internal sealed class ContainerSpec
{
    public string? Name { get; set; }

    public string? Image { get; set; }
}

internal sealed class PodStatus
{
    public string? Phase { get; set; }

    public List<ContainerStatus>? InitContainerStatuses { get; set; }

    public List<ContainerStatus>? ContainerStatuses { get; set; }

    public List<ContainerStatus>? EphemeralContainerStatuses { get; set; }
}

internal sealed class ContainerStatus
{
    public string? Name { get; set; }

    public string? ContainerID { get; set; }

    public string? Image { get; set; }

    public int RestartCount { get; set; }

    public ContainerState? State { get; set; }

    public ContainerState? LastState { get; set; }
}

internal sealed class ContainerState
{
    public ContainerStateTerminated? Terminated { get; set; }
}

internal sealed class ContainerStateTerminated
{
    public int ExitCode { get; set; }

    public int? Signal { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? ContainerID { get; set; }
}

internal sealed class PodList
{
    public ListMeta? Metadata { get; set; }

    public List<Pod>? Items { get; set; }
}

internal sealed class ListMeta
{
    public string? ResourceVersion { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Pod))]
[JsonSerializable(typeof(PodList))]
internal sealed partial class PodJsonContext : JsonSerializerContext;
