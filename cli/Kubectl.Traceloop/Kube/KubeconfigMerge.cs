using k8s.KubeConfigModels;

namespace Kubectl.Traceloop.Kube;

/// <summary>
/// Merges the files KUBECONFIG lists as kubectl does: the first file that sets the current
/// context wins, and a cluster, user or context keeps its first definition. File paths in a
/// file are relative to that file, so they are made absolute before the files are merged.
/// </summary>
internal static class KubeconfigMerge
{
    public static K8SConfiguration Merge(IReadOnlyList<K8SConfiguration> configs)
    {
        if (configs.Count == 1)
        {
            return configs[0];
        }
        var merged = new K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            FileName = configs[0].FileName,
            Clusters = [],
            Users = [],
            Contexts = [],
        };
        foreach (K8SConfiguration config in configs)
        {
            string? dir = config.FileName is { } file ? Path.GetDirectoryName(Path.GetFullPath(file)) : null;
            merged.CurrentContext ??= string.IsNullOrEmpty(config.CurrentContext) ? null : config.CurrentContext;
            foreach (Cluster cluster in config.Clusters ?? [])
            {
                if (cluster.ClusterEndpoint is { } endpoint)
                {
                    endpoint.CertificateAuthority = Absolute(dir, endpoint.CertificateAuthority);
                }
                AddFirst(merged.Clusters, cluster, cluster.Name);
            }
            foreach (User user in config.Users ?? [])
            {
                if (user.UserCredentials is { } credentials)
                {
                    credentials.ClientCertificate = Absolute(dir, credentials.ClientCertificate);
                    credentials.ClientKey = Absolute(dir, credentials.ClientKey);
                }
                AddFirst(merged.Users, user, user.Name);
            }
            foreach (Context context in config.Contexts ?? [])
            {
                AddFirst(merged.Contexts, context, context.Name);
            }
        }
        return merged;
    }

    private static void AddFirst<T>(List<T> list, T item, string? name)
    {
        if (list.All(existing => Name(existing) != name))
        {
            list.Add(item);
        }
    }

    private static string? Name<T>(T item) => item switch
    {
        Cluster c => c.Name,
        User u => u.Name,
        Context c => c.Name,
        _ => null,
    };

    private static string? Absolute(string? dir, string? path) =>
        string.IsNullOrEmpty(path) || dir is null || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Join(dir, path));
}
