namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// What the kernel copies from each container's memory (config file section "Capture"): a
/// default, and rules by namespace and label selector, the first matching rule winning. Levels
/// are <c>full</c>, <c>no-payload</c>, <c>no-argv</c> or <c>no-payload,no-argv</c>
/// (Bpf/CaptureLevel.cs). Read again when the config file changes, like the selection.
/// </summary>
/// <remarks>
/// The default also covers what no rule can name: containers outside Kubernetes, and a pod's
/// containers created before the recorder has heard of the pod. Whoever needs a namespace's
/// buffers never to be captured, not even in that moment, sets the default to the stricter level
/// and lifts it by rule for the namespaces that may be captured in full.
/// </remarks>
internal sealed class CaptureOptions
{
    public const string Section = "Capture";

    public string Default { get; set; } = "full";

    public CaptureRule[] Rules { get; set; } = [];
}

/// <summary>One rule of <see cref="CaptureOptions"/>: which pods, and their level.</summary>
internal sealed class CaptureRule
{
    /// <summary>Comma-separated namespaces; empty means any.</summary>
    public string Namespaces { get; set; } = "";

    /// <summary>An equality-based label selector (app=web,tier!=db); empty means any pod.</summary>
    public string LabelSelector { get; set; } = "";

    public string Level { get; set; } = "";
}
