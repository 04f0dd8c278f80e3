namespace Kubectl.Traceloop;

/// <summary>
/// The plugin's exit codes. <see cref="Partial"/> lets a script tell "some nodes did not
/// answer, the rest is printed" from a plain failure: the output is usable but incomplete.
/// </summary>
internal enum PluginExitCode
{
    Ok = 0,

    /// <summary>Bad flags or arguments (System.CommandLine's parse errors use it too).</summary>
    Usage = 1,

    /// <summary>Nothing useful was printed: the pod, the agent or the dump could not be reached or found.</summary>
    Failed = 2,

    /// <summary>A cluster-wide command printed what it got, but at least one node's agent did not answer.</summary>
    Partial = 3,
}
