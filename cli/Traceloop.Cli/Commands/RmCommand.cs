using System.CommandLine;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Traceloop.Cli.Commands;

/// <summary><c>traceloop rm &lt;dump-id&gt;...</c>: delete saved dumps.</summary>
internal static class RmCommand
{
    public static Command Create(CommonOptions options)
    {
        var ids = new Argument<string[]>("dump-id") { Description = "The ids of the saved dumps to delete", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Delete saved dumps") { ids };
        command.SetAction(async (parse, ct) =>
        {
            using TraceloopClient client = options.Client(parse);
            foreach (string id in parse.GetRequiredValue(ids))
            {
                await client.DeleteSavedDumpAsync(id, ct).ConfigureAwait(false);
                options.Console.Out.WriteLine($"deleted {id}");
            }
            return (int)ExitCode.Success;
        });
        return command;
    }
}
