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
            console.Out.WriteLine($"recorder {server.Version} (dump format {server.DumpFormatVersion}, kernel {server.Kernel}{TlsSummary(server.Tls)})");
            return (int)ExitCode.Success;
        });
        return command;
    }

    /// <summary>
    /// What the recorder's TLS probes do, for the version line: nothing when it sent no counts (run
    /// with --tls off, or from before the probes), the reason when they cannot run, else what is
    /// probed and, when not zero, what was skipped, refused or dropped.
    /// </summary>
    internal static string TlsSummary(TlsProbeCounts? tls)
    {
        if (tls is null)
        {
            return "";
        }
        if (tls.Unavailable is { } reason)
        {
            return $", no TLS probes: {reason}";
        }
        string summary = $", TLS probes on {Count(tls.FilesProbed, "file")} ({Count(tls.Uprobes, "uprobe")})";
        if (tls.BinariesSkipped > 0)
        {
            summary += $", {Count(tls.BinariesSkipped, "binary", "binaries")} skipped";
        }
        if (tls.AttachFailures > 0)
        {
            summary += $", {Count(tls.AttachFailures, "attach failure")}";
        }
        if (tls.ExecNoticesDropped > 0)
        {
            summary += $", {Count(tls.ExecNoticesDropped, "exec notice")} dropped";
        }
        return summary;
    }

    private static string Count(long n, string one, string? many = null) => $"{n} {(n == 1 ? one : many ?? one + "s")}";
}
