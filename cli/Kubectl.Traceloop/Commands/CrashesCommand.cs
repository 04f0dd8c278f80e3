using System.CommandLine;
using Kubectl.Traceloop.Api;
using Kubectl.Traceloop.Kube;
using Kubectl.Traceloop.Output;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop crashes [-A]</c>: the dumps the agents kept on disk (crashes and snapshots).</summary>
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
            string? ns = allNamespaces ? null : session.Namespace;
            string what = ns is null ? "list saved dumps in all namespaces" : $"list saved dumps in namespace {ns}";
            byte[] body = await new TraceloopApi(session).GetAsync(TraceloopApi.Path(ns, "crashdumps"), what, ct).ConfigureAwait(false);
            var list = RecordedList<SavedDumpInfo>.Parse(body, TraceloopJson.Context.ListSavedDumpInfo, what);
            List<SavedDumpInfo> rows = [.. list.Items.OrderByDescending(d => d.TakenAt)];
            ListingWriter.Write(console, result.GetValue(output)!, rows, TraceloopJson.Context.ListSavedDumpInfo,
                () => PluginTables.Dumps(rows, DateTimeOffset.UtcNow),
                ns is null ? "No saved dumps found." : $"No saved dumps found in {ns} namespace.");
            return list.Report(console.Error, "saved dumps");
        });
        return command;
    }
}
