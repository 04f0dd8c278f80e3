using System.CommandLine;
using Kubectl.Traceloop.Api;
using Kubectl.Traceloop.Kube;
using Kubectl.Traceloop.Output;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop ls [-A]</c>: the recorded pods' containers, in one namespace or in every one the user may list.</summary>
internal static class LsCommand
{
    public static Command Create(CliConsole console)
    {
        Option<bool> all = PluginOptions.AllNamespaces();
        Option<string> output = PluginOptions.ListingOutput();
        var command = new Command("ls", "List the recorded containers of pods, across all nodes") { all, output };
        PluginApp.SetAction(command, console, async (result, ct) =>
        {
            bool allNamespaces = result.GetValue(all);
            using KubeSession session = KubeSession.Open(PluginOptions.Settings(result, allNamespaces));
            string? ns = allNamespaces ? null : session.Namespace;
            string what = ns is null ? "list recorded pods in all namespaces" : $"list recorded pods in namespace {ns}";
            byte[] body = await new TraceloopApi(session).GetAsync(TraceloopApi.Path(ns, "pods"), what, ct).ConfigureAwait(false);
            var list = RecordedList<ContainerInfo>.Parse(body, TraceloopJson.Context.ListContainerInfo, what);
            // Containers outside Kubernetes (a node's own runc or docker) have no pod to show here.
            List<ContainerInfo> rows = [.. list.Items
                .Where(c => c.Pod is not null)
                .OrderBy(c => c.Namespace, StringComparer.Ordinal)
                .ThenBy(c => c.Pod, StringComparer.Ordinal)
                .ThenBy(c => c.Container, StringComparer.Ordinal)
                .ThenBy(c => c.FirstSeen)];
            ListingWriter.Write(console, result.GetValue(output)!, rows, TraceloopJson.Context.ListContainerInfo,
                () => PluginTables.Pods(rows, DateTimeOffset.UtcNow),
                ns is null ? "No recorded pods found." : $"No recorded pods found in {ns} namespace.");
            return list.Report(console.Error, "recorded pods");
        });
        return command;
    }
}
