using System.CommandLine;
using Kubectl.Traceloop.Kube;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop;

/// <summary>The options every command takes (kubectl's names), and the per-command ones shared by several.</summary>
internal static class PluginOptions
{
    public static readonly Option<string?> Kubeconfig = new("--kubeconfig")
    {
        Description = "Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config)",
        Recursive = true,
    };

    public static readonly Option<string?> Context = new("--context")
    {
        Description = "The kubeconfig context to use (default: its current context)",
        Recursive = true,
    };

    public static readonly Option<string?> Namespace = new("--namespace", "-n")
    {
        Description = "The namespace (default: the context's namespace, else default)",
        Recursive = true,
    };

    public static readonly Option<int> Timeout = new("--request-timeout")
    {
        Description = "Seconds to wait for each API call",
        DefaultValueFactory = _ => (int)KubeSettings.DefaultTimeout.TotalSeconds,
        Recursive = true,
    };

    public static Option<bool> AllNamespaces() => new("--all-namespaces", "-A")
    {
        Description = "List across all namespaces",
    };

    public static Option<string?> Container() => new("--container", "-c")
    {
        Description = "The container in the pod (default: each recorded container of the pod)",
    };

    /// <summary>-o for listings: a table, or JSON/YAML for scripts.</summary>
    public static Option<string> ListingOutput() => new Option<string>("--output", "-o")
    {
        Description = "Output format",
        DefaultValueFactory = _ => "table",
    }.AcceptOnlyFromAmong("table", "wide", "json", "yaml");

    /// <summary>-o for dumps: strace-like text, JSON lines, or a Perfetto/Chrome trace.</summary>
    public static Option<string> DumpOutput() => new Option<string>("--output", "-o")
    {
        Description = "Dump format: text (strace-like), json (one event per line) or perfetto (Chrome trace JSON for ui.perfetto.dev)",
        DefaultValueFactory = _ => "text",
    }.AcceptOnlyFromAmong("text", "json", "perfetto");

    public static void AddGlobal(Command root)
    {
        root.Add(Kubeconfig);
        root.Add(Context);
        root.Add(Namespace);
        root.Add(Timeout);
    }

    public static KubeSettings Settings(ParseResult result, bool allNamespaces = false)
    {
        int seconds = result.GetValue(Timeout);
        if (seconds <= 0)
        {
            throw new PluginException("--request-timeout must be a positive number of seconds", ExitCode.Usage);
        }
        return new KubeSettings(result.GetValue(Kubeconfig), result.GetValue(Context), result.GetValue(Namespace), allNamespaces,
            TimeSpan.FromSeconds(seconds));
    }
}
