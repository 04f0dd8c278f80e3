using System.CommandLine;
using Kubectl.Traceloop.Agents;
using Kubectl.Traceloop.Kube;
using Kubectl.Traceloop.Output;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop snapshot POD [-c CONTAINER]</c>: keep a pod's current recording on its node's disk.</summary>
internal static class SnapshotCommand
{
    public static Command Create(CliConsole console)
    {
        var pod = new Argument<string>("pod") { Description = "The pod, in the namespace of -n or the context" };
        Option<string?> container = PluginOptions.Container();
        Option<string> output = PluginOptions.ListingOutput();
        var command = new Command("snapshot", "Save a pod's recording now, as a dump that `crashes` lists and `get` reads") { pod, container, output };
        PluginApp.SetAction(command, console, async (result, ct) =>
        {
            using KubeSession session = KubeSession.Open(PluginOptions.Settings(result));
            string name = result.GetValue(pod)!;
            AgentPod agent = await new AgentLocator(session).ForPodAsync(session.Namespace, name, ct).ConfigureAwait(false);
            string path = $"/pods/{Uri.EscapeDataString(session.Namespace)}/{Uri.EscapeDataString(name)}/snapshot"
                + (result.GetValue(container) is { } c ? "?container=" + Uri.EscapeDataString(c) : "");
            byte[] body = await new AgentApi(session).CallAsync(agent, "POST", path, ct).ConfigureAwait(false);
            List<SavedDumpInfo> saved = AgentJson.Parse(body, TraceloopJson.Context.ListSavedDumpInfo, agent);
            ListingWriter.Write(console, result.GetValue(output)!, saved, TraceloopJson.Context.ListSavedDumpInfo,
                () => PluginTables.Dumps(saved.Select(d => (d, agent.Node)), DateTimeOffset.UtcNow), $"No recorded container of pod {name} to snapshot.");
            return ExitCode.Success;
        });
        return command;
    }
}
