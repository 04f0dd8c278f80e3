using System.CommandLine;
using System.Net.Http;
using System.Text.Json;
using Kubectl.Traceloop.Api;
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
            string path = TraceloopApi.PodPath(session.Namespace, name, "snapshot")
                + (result.GetValue(container) is { } c ? "?container=" + Uri.EscapeDataString(c) : "");
            string what = $"snapshot pod {session.Namespace}/{name}";
            byte[] body = await new TraceloopApi(session).SendAsync(HttpMethod.Post, path, what, ct).ConfigureAwait(false);
            List<SavedDumpInfo> saved;
            try
            {
                saved = JsonSerializer.Deserialize(body, TraceloopJson.Context.ListSavedDumpInfo) ?? [];
            }
            catch (JsonException e)
            {
                throw new PluginException($"the Traceloop API sent an unreadable answer to {what}: {e.Message}", ExitCode.Failed, e);
            }
            ListingWriter.Write(console, result.GetValue(output)!, saved, TraceloopJson.Context.ListSavedDumpInfo,
                () => PluginTables.Dumps(saved, DateTimeOffset.UtcNow), $"No recorded container of pod {name} to snapshot.");
            return ExitCode.Success;
        });
        return command;
    }
}
