namespace Traceloop.Cli;

/// <summary>What <c>dump</c> and <c>snapshot</c> act on: a container id (or a unique prefix of it), or a pod as namespace/pod.</summary>
internal sealed record DumpTarget(string? ContainerId, string? Namespace, string? Pod, string? Container)
{
    public bool IsPod => Pod is not null;

    public static DumpTarget Parse(string text, string? container)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2)
        {
            if (parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new CliException($"'{text}' is not namespace/pod: both parts are needed");
            }
            return new DumpTarget(null, parts[0], parts[1], container);
        }
        if (parts.Length > 2 || text.Length == 0)
        {
            throw new CliException($"'{text}' is neither a container id nor namespace/pod");
        }
        if (container is not null)
        {
            throw new CliException("-c names a container of a pod: give the pod as namespace/pod, or only the container id");
        }
        return new DumpTarget(text, null, null, null);
    }
}
