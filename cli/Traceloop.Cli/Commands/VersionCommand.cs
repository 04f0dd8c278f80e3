using System.CommandLine;
using System.Reflection;
using Traceloop.Api;
using Traceloop.Cli.Common;

namespace Traceloop.Cli.Commands;

/// <summary><c>traceloop version</c>: this CLI's version and, unless <c>--client</c>, the recorder's.</summary>
internal static class VersionCommand
{
    public static string ClientVersion =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static Command Create(CommonOptions options)
    {
        var clientOnly = new Option<bool>("--client") { Description = "Print only this CLI's version, without asking the recorder" };
        var command = new Command("version", "Print the versions of this CLI and of the recorder") { clientOnly };
        command.SetAction(async (parse, ct) =>
        {
            CliConsole console = options.Console;
            console.Out.WriteLine($"traceloop {ClientVersion}");
            if (parse.GetValue(clientOnly))
            {
                return (int)ExitCode.Success;
            }
            await console.Out.FlushAsync(ct).ConfigureAwait(false);
            using TraceloopClient client = options.Client(parse);
            VersionInfo server = await client.GetVersionAsync(ct).ConfigureAwait(false);
            console.Out.WriteLine($"recorder {server.Version} (dump format {server.DumpFormatVersion}, kernel {server.Kernel})");
            return (int)ExitCode.Success;
        });
        return command;
    }
}
