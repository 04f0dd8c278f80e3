using System.CommandLine;
using Kubectl.Traceloop.Commands;
using MessagePack;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop;

/// <summary>The command tree of <c>kubectl traceloop</c>, and the one place errors become a line on stderr and an exit code.</summary>
internal static class PluginApp
{
    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand("""
            Traceloop: what did my pod do before it died? Reads the syscall flight recorder of the
            Traceloop agent on each node through the API server's traceloop.dev API, as you: RBAC
            on the pod's namespace decides (roles traceloop-viewer and traceloop-admin).

            Exit codes: 0 success, 1 usage, 2 failure, 3 partial (some nodes' agents did not answer;
            the rest was printed, and stderr names the nodes).
            """);
        PluginOptions.AddGlobal(root);
        root.Add(LsCommand.Create(console));
        root.Add(DumpCommand.Create(console));
        root.Add(CrashesCommand.Create(console));
        root.Add(GetCommand.Create(console));
        root.Add(SnapshotCommand.Create(console));
        root.Add(RmCommand.Create(console));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken ct = default)
    {
        RootCommand root = Build(console);
        ParseResult parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, ct).ConfigureAwait(false);
    }

    /// <summary>Wraps a command's work: a <see cref="CommandException"/> (or an unreadable dump) is printed as one line, never a stack trace.</summary>
    public static void SetAction(Command command, CliConsole console,
        Func<ParseResult, CancellationToken, Task<ExitCode>> action)
    {
        command.SetAction(async (result, ct) =>
        {
            try
            {
                return (await action(result, ct).ConfigureAwait(false)).ToPluginStatus();
            }
            catch (CommandException e)
            {
                await console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return e.ExitCode.ToPluginStatus();
            }
            catch (MessagePackSerializationException e)
            {
                await console.Error.WriteLineAsync("error: the Traceloop API sent a dump that cannot be read: " + e.Message).ConfigureAwait(false);
                return ExitCode.Failed.ToPluginStatus();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await console.Error.WriteLineAsync("error: interrupted").ConfigureAwait(false);
                return ExitCode.Interrupted.ToPluginStatus();
            }
        });
    }
}
