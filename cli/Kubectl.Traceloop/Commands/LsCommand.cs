using System.CommandLine;
using Kubectl.Traceloop.Agents;
using Kubectl.Traceloop.Kube;
using Kubectl.Traceloop.Output;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop ls [-A]</c>: the recorded pods' containers on every node.</summary>
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
            IReadOnlyList<AgentPod> agents = await new AgentLocator(session).AllAsync(ct).ConfigureAwait(false);
            string path = allNamespaces ? "/containers" : "/containers?namespace=" + Uri.EscapeDataString(session.Namespace);
            var api = new AgentApi(session);
            FanOutResult<List<ContainerInfo>> answers = await FanOut.RunAsync(agents,
                async (agent, token) => AgentJson.Parse(await api.GetAsync(agent, path, token).ConfigureAwait(false),
                    TraceloopJson.Context.ListContainerInfo, agent), ct).ConfigureAwait(false);
            ExitCode code = answers.Report(console.Error);
            // Containers outside Kubernetes (a node's own runc or docker) have no pod to show here;
            // a container named by its pod also has the pod's node.
            List<ContainerInfo> rows = [.. answers.Answers
                .SelectMany(a => a.Value)
                .Where(c => c.Pod is not null)
                .OrderBy(c => c.Namespace, StringComparer.Ordinal)
                .ThenBy(c => c.Pod, StringComparer.Ordinal)
                .ThenBy(c => c.Container, StringComparer.Ordinal)
                .ThenBy(c => c.FirstSeen)];
            ListingWriter.Write(console, result.GetValue(output)!, rows, TraceloopJson.Context.ListContainerInfo,
                () => PluginTables.Pods(rows, DateTimeOffset.UtcNow),
                allNamespaces ? "No recorded pods found." : $"No recorded pods found in {session.Namespace} namespace.");
            return code;
        });
        return command;
    }
}
