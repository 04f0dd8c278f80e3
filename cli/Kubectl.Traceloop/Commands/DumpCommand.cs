using System.CommandLine;
using System.Globalization;
using Kubectl.Traceloop.Api;
using Kubectl.Traceloop.Kube;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary><c>kubectl traceloop dump POD [-c CONTAINER] [--last N] [-o text|json|perfetto]</c>: a pod's recent syscalls.</summary>
internal static class DumpCommand
{
    public static Command Create(CliConsole console)
    {
        var pod = new Argument<string>("pod") { Description = "The pod, in the namespace of -n or the context" };
        Option<string?> container = PluginOptions.Container();
        var last = new Option<int?>("--last")
        {
            Description = "Only the last N events of each container",
        };
        Option<string> output = PluginOptions.DumpOutput();
        var command = new Command("dump", "Print a pod's recent syscalls from the recorder on its node") { pod, container, last, output };
        PluginApp.SetAction(command, console, async (result, ct) =>
        {
            if (result.GetValue(last) is <= 0)
            {
                throw new PluginException("--last must be a positive number of events", ExitCode.Usage);
            }
            using KubeSession session = KubeSession.Open(PluginOptions.Settings(result));
            string name = result.GetValue(pod)!;
            string format = result.GetValue(output)!;
            string path = TraceloopApi.PodPath(session.Namespace, name, "dump") + $"?format={DumpOutput.WireFormat(format)}"
                + (result.GetValue(container) is { } c ? "&container=" + Uri.EscapeDataString(c) : "")
                + (result.GetValue(last) is { } n ? "&last=" + n.ToString(CultureInfo.InvariantCulture) : "");
            byte[] body = await new TraceloopApi(session).GetAsync(path, $"dump pod {session.Namespace}/{name}", ct).ConfigureAwait(false);
            await DumpOutput.WriteAsync(console, format, body, ct).ConfigureAwait(false);
            return ExitCode.Success;
        });
        return command;
    }
}
