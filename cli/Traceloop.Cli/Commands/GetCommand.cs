using System.CommandLine;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Traceloop.Cli.Commands;

/// <summary><c>traceloop get &lt;dump-id&gt;</c>: a saved dump, in any dump format.</summary>
internal static class GetCommand
{
    public static Command Create(CommonOptions options)
    {
        var id = new Argument<string>("dump-id") { Description = "The saved dump's id, as traceloop dumps lists it" };
        Option<string> format = CommonOptions.DumpFormat();
        Option<string> file = CommonOptions.OutputFile();
        var command = new Command("get", "Print a saved dump (kept after a crash, or by traceloop snapshot)") { id, format, file };
        command.SetAction(async (parse, ct) =>
        {
            string dumpId = parse.GetRequiredValue(id);
            using TraceloopClient client = options.Client(parse);
            await DumpOutput.WriteAsync(options.Console, parse.GetValue(file), parse.GetRequiredValue(format),
                (wire, token) => client.OpenSavedDumpAsync(dumpId, wire, token), ct).ConfigureAwait(false);
            return (int)ExitCode.Success;
        });
        return command;
    }
}
