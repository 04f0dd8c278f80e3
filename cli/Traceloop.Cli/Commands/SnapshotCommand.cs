using System.CommandLine;
using Traceloop.Api;
using Traceloop.Cli.Common;
using Traceloop.Cli.Common.Presentation;

namespace Traceloop.Cli.Commands;

/// <summary><c>traceloop snapshot &lt;container-id|namespace/pod&gt;</c>: keep a dump now (trigger "manual").</summary>
internal static class SnapshotCommand
{
    public static Command Create(CommonOptions options)
    {
        Argument<string> target = CommonOptions.Target();
        Option<string> container = CommonOptions.PodContainer();
        Option<string> output = CommonOptions.OutputFormat();
        var command = new Command("snapshot", "Save a dump of a container, or of each recorded container of a pod, now") { target, container, output };
        command.SetAction(async (parse, ct) =>
        {
            OutputFormat format = CommonOptions.ParseOutputFormat(parse.GetValue(output));
            DumpTarget t = DumpTarget.Parse(parse.GetRequiredValue(target), parse.GetValue(container));
            using TraceloopClient client = options.Client(parse);
            List<SavedDumpInfo> saved = t.IsPod
                ? await client.SnapshotPodAsync(t.Namespace!, t.Pod!, t.Container, ct).ConfigureAwait(false)
                : [await client.SnapshotContainerAsync(t.ContainerId!, ct).ConfigureAwait(false)];
            CliConsole console = options.Console;
            if (format == OutputFormat.Table)
            {
                ListingTables.SavedDumps(saved, console.Clock.GetUtcNow()).Write(console.Out, console.Color);
            }
            else
            {
                StructuredOutput.Write(format, saved, TraceloopJson.Context.ListSavedDumpInfo, console.Out);
            }
            return (int)ExitCode.Success;
        });
        return command;
    }
}
