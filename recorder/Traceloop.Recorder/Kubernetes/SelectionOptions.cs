namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// Which pods are recorded (section "Selection"; --namespaces, --exclude-namespaces, --selector).
/// Default: everything. Read again when the config file changes, and applied within seconds.
/// </summary>
internal sealed class SelectionOptions
{
    /// <summary>Comma-separated namespaces to record; empty means all.</summary>
    public string Namespaces { get; set; } = "";

    /// <summary>Comma-separated namespaces never to record.</summary>
    public string ExcludeNamespaces { get; set; } = "";

    /// <summary>An equality-based label selector pods must match (app=web,tier!=db).</summary>
    public string LabelSelector { get; set; } = "";

    public bool Selects(PodInfo pod, LabelSelector selector)
    {
        if (Split(ExcludeNamespaces).Contains(pod.Namespace))
        {
            return false;
        }
        string[] included = Split(Namespaces);
        return (included.Length == 0 || included.Contains(pod.Namespace)) && selector.Matches(pod.Labels);
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
