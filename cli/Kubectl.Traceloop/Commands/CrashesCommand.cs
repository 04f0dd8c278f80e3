using System.CommandLine;
using Kubectl.Traceloop.Agents;
using Kubectl.Traceloop.Kube;
using Kubectl.Traceloop.Output;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop crashes [-A]</c>: the dumps the agents kept on disk (crashes and snapshots), cluster-wide.</summary>
internal static class CrashesCommand
{
    public static Command Create(CliConsole console)
    {
        Option<bool> all = PluginOptions.AllNamespaces();
        Option<string> output = PluginOptions.ListingOutput();
        var command = new Command("crashes", "List the saved dumps (crash-triggered and snapshots) on every node, newest first") { all, output };
        PluginApp.SetAction(command, console, async (result, ct) =>
        {
            bool allNamespaces = result.GetValue(all);
            using KubeSession session = KubeSession.Open(PluginOptions.Settings(result, allNamespaces));
            IReadOnlyList<AgentPod> agents = await new AgentLocator(session).AllAsync(ct).ConfigureAwait(false);
            string path = allNamespaces ? "/dumps" : "/dumps?namespace=" + Uri.EscapeDataString(session.Namespace);
            var api = new AgentApi(session);
            FanOutResult<List<SavedDumpInfo>> answers = await FanOut.RunAsync(agents,
                async (agent, token) => AgentJson.Parse(await api.GetAsync(agent, path, token).ConfigureAwait(false),
                    TraceloopJson.Context.ListSavedDumpInfo, agent), ct).ConfigureAwait(false);
            ExitCode code = answers.Report(console.Error);
            List<(SavedDumpInfo Dump, string Node)> rows = [.. answers.Answers
                .SelectMany(a => a.Value.Select(d => (d, a.Agent.Node)))
                .OrderByDescending(r => r.d.TakenAt)];
            ListingWriter.Write(console, result.GetValue(output)!, [.. rows.Select(r => r.Dump)], TraceloopJson.Context.ListSavedDumpInfo,
                () => PluginTables.Dumps(rows, DateTimeOffset.UtcNow),
                allNamespaces ? "No saved dumps found." : $"No saved dumps found in {session.Namespace} namespace.");
            return code;
        });
        return command;
    }
}
