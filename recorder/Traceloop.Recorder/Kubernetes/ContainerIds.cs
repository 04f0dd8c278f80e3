namespace Traceloop.Recorder.Kubernetes;

/// <summary>Container ids as the kubelet reports them ("containerd://4f3a…") and as cgroups name them ("4f3a…").</summary>
internal static class ContainerIds
{
    /// <summary>
    /// Drops the runtime's scheme (containerd://, cri-o://, docker://, any other) and lowercases
    /// the rest; null for an empty id (a container that has not started).
    /// </summary>
    public static string? Normalize(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }
        int scheme = id.IndexOf("://", StringComparison.Ordinal);
        string bare = (scheme >= 0 ? id[(scheme + 3)..] : id).Trim();
        return bare.Length == 0 ? null : bare.ToLowerInvariant();
    }
}
