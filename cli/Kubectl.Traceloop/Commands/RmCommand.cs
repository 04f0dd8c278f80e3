using System.CommandLine;
using System.Net.Http;
using Kubectl.Traceloop.Api;
using Kubectl.Traceloop.Kube;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop rm DUMP-ID... [-n NS]</c>: delete saved dumps (traceloop-admin).</summary>
internal static class RmCommand
{
    public static Command Create(CliConsole console)
    {
        var ids = new Argument<string[]>("dump-id") { Description = "The ids of the saved dumps to delete", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Delete saved dumps of pods in the namespace") { ids };
        PluginApp.SetAction(command, console, async (result, ct) =>
        {
            string[] dumpIds = [.. result.GetValue(ids)!.Select(DumpId.Validate)];
            using KubeSession session = KubeSession.Open(PluginOptions.Settings(result));
            var api = new TraceloopApi(session);
            foreach (string dumpId in dumpIds)
            {
                await api.SendAsync(HttpMethod.Delete, TraceloopApi.CrashDumpPath(session.Namespace, dumpId),
                    $"delete saved dump {dumpId} in namespace {session.Namespace}", ct).ConfigureAwait(false);
                await console.Out.WriteLineAsync($"deleted {dumpId}").ConfigureAwait(false);
            }
            return ExitCode.Success;
        });
        return command;
    }
}
