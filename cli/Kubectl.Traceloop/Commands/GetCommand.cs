using System.CommandLine;
using Kubectl.Traceloop.Api;
using Kubectl.Traceloop.Kube;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop get DUMP-ID [-n NS] [-o text|json|perfetto]</c>: a saved dump of a pod in the namespace.</summary>
internal static class GetCommand
{
    public static Command Create(CliConsole console)
    {
        Argument<string> id = DumpId.Argument();
        Option<string> output = PluginOptions.DumpOutput();
        var command = new Command("get", "Print a saved dump of a pod in the namespace") { id, output };
        PluginApp.SetAction(command, console, async (result, ct) =>
        {
            string dumpId = DumpId.Validate(result.GetValue(id)!);
            using KubeSession session = KubeSession.Open(PluginOptions.Settings(result));
            string format = result.GetValue(output)!;
            string path = TraceloopApi.CrashDumpPath(session.Namespace, dumpId) + $"?format={DumpOutput.WireFormat(format)}";
            byte[] body = await new TraceloopApi(session).GetAsync(path, $"get saved dump {dumpId} in namespace {session.Namespace}", ct)
                .ConfigureAwait(false);
            await DumpOutput.WriteAsync(console, format, body, ct).ConfigureAwait(false);
            return ExitCode.Success;
        });
        return command;
    }
}
