using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Kube;

/// <summary>kubectl's rules for which kubeconfig files to read and which namespace a command means.</summary>
internal static class KubeconfigResolution
{
    /// <summary>
    /// --kubeconfig alone when given (it must exist); else every existing file KUBECONFIG lists,
    /// merged first-wins as kubectl does; else ~/.kube/config. Empty when there is none, which
    /// leaves the in-cluster service account as the last resort, as for kubectl.
    /// </summary>
    public static IReadOnlyList<string> Files(string? flag, string? kubeconfigVariable, string? home)
    {
        if (!string.IsNullOrWhiteSpace(flag))
        {
            string path = flag.Trim();
            if (!File.Exists(path))
            {
                throw new PluginException($"kubeconfig {path} does not exist", ExitCode.Usage);
            }
            return [path];
        }
        if (!string.IsNullOrWhiteSpace(kubeconfigVariable))
        {
            return kubeconfigVariable.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(File.Exists).Distinct(StringComparer.Ordinal).ToList();
        }
        if (!string.IsNullOrEmpty(home) && Path.Join(home, ".kube", "config") is var defaultPath && File.Exists(defaultPath))
        {
            return [defaultPath];
        }
        return [];
    }

    /// <summary>-n beats the context's namespace, which beats "default" (kubectl's order).</summary>
    public static string Namespace(string? flag, string? contextNamespace) =>
        !string.IsNullOrWhiteSpace(flag) ? flag.Trim()
        : !string.IsNullOrWhiteSpace(contextNamespace) ? contextNamespace.Trim()
        : "default";
}
