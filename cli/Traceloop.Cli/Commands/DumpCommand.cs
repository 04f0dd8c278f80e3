using System.CommandLine;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Traceloop.Cli.Commands;

/// <summary><c>traceloop dump &lt;container-id|namespace/pod&gt;</c>: what a container or a pod did recently.</summary>
internal static class DumpCommand
{
    public static Command Create(CommonOptions options)
    {
        Argument<string> target = CommonOptions.Target();
        Option<string> container = CommonOptions.PodContainer();
        Option<string> format = CommonOptions.DumpFormat();
        var last = new Option<int?>("--last") { Description = "Only the newest N events", HelpName = "N" };
        Option<string> file = CommonOptions.OutputFile();
        var command = new Command("dump", "Print the recent syscalls of a container, or of every recorded container of a pod")
        {
            target, container, format, last, file,
        };
        command.SetAction(async (parse, ct) =>
        {
            DumpTarget t = DumpTarget.Parse(parse.GetRequiredValue(target), parse.GetValue(container));
            int? n = parse.GetValue(last);
            if (n <= 0)
            {
                throw new CliException("--last must be a positive whole number");
            }
            using TraceloopClient client = options.Client(parse);
            await DumpOutput.WriteAsync(options.Console, parse.GetValue(file), parse.GetRequiredValue(format),
                (wire, token) => t.IsPod
                    ? client.OpenPodDumpAsync(t.Namespace!, t.Pod!, t.Container, wire, n, token)
                    : client.OpenDumpAsync(t.ContainerId!, wire, n, token),
                ct).ConfigureAwait(false);
            return (int)ExitCode.Success;
        });
        return command;
    }
}
