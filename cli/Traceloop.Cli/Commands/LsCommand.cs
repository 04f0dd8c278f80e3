using System.CommandLine;
using Traceloop.Api;
using Traceloop.Cli.Common;
using Traceloop.Cli.Common.Presentation;

namespace Traceloop.Cli.Commands;

/// <summary><c>traceloop ls</c>: the containers being recorded on this node.</summary>
internal static class LsCommand
{
    public static Command Create(CommonOptions options)
    {
        (Option<string> ns, Option<string> pod, Option<string> container) = CommonOptions.NameFilters("containers");
        var selector = new Option<string>("--selector", "-l") { Description = "Only pods whose labels match (app=web,tier!=db)" };
        Option<string> output = CommonOptions.OutputFormat();
        var command = new Command("ls", "List the containers being recorded") { ns, pod, container, selector, output };
        command.Aliases.Add("list");
        command.SetAction(async (parse, ct) =>
        {
            OutputFormat format = CommonOptions.ParseOutputFormat(parse.GetValue(output));
            using TraceloopClient client = options.Client(parse);
            List<ContainerInfo> containers = await client.GetContainersAsync(
                new ContainerQuery(parse.GetValue(ns), parse.GetValue(pod), parse.GetValue(container), parse.GetValue(selector)), ct).ConfigureAwait(false);
            options.WriteListing(format, containers, TraceloopJson.Context.ListContainerInfo,
                now => ListingTables.Containers(containers, now), "No recorded containers.");
            return (int)ExitCode.Success;
        });
        return command;
    }
}
