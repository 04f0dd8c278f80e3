using System.CommandLine;
using System.Net.Http;
using MessagePack;
using Traceloop.Api;
using Traceloop.Cli.Common;
using Traceloop.Cli.Commands;

namespace Traceloop.Cli;

/// <summary>Parses the command line, runs the verb, and turns every expected failure into one line and an exit code.</summary>
internal static class CliApp
{
    public static RootCommand BuildRoot(CliConsole console)
    {
        var options = new CommonOptions(console);
        var root = new RootCommand("Traceloop's node CLI: the recent syscalls of this node's containers, from the recorder's socket.")
        {
            options.Socket,
            LsCommand.Create(options),
            DumpCommand.Create(options),
            DumpsCommand.Create(options),
            GetCommand.Create(options),
            SnapshotCommand.Create(options),
            RmCommand.Create(options),
            VersionCommand.Create(options),
            ApiCommand.Create(options),
        };
        return root;
    }

    public static async Task<ExitCode> RunAsync(string[] args, CliConsole console, CancellationToken ct)
    {
        try
        {
            // Bare "traceloop" shows what it can do, as kubectl does.
            ParseResult parse = BuildRoot(console).Parse(args.Length == 0 ? ["--help"] : args);
            if (parse.Errors.Count > 0)
            {
                console.Error.WriteLine($"error: {UsageError(parse)}");
                console.Error.WriteLine($"See '{CommandPath(parse)} --help' for usage.");
                return ExitCode.Usage;
            }
            var invocation = new InvocationConfiguration
            {
                Output = console.Out,
                Error = console.Error,
                EnableDefaultExceptionHandler = false,
                // Ctrl-C cancels the token the caller passes in; the library's own handler would race it.
                ProcessTerminationTimeout = null,
            };
            return (ExitCode)await parse.InvokeAsync(invocation, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Describe(e, ct) is { } failure)
        {
            await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            console.Error.WriteLine(failure.Message);
            return failure.Code;
        }
        finally
        {
            try
            {
                await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The reader went away (| head): nothing left to tell it.
            }
        }
    }

    /// <summary>The line to print and the exit code for a failure we expect; null lets a bug surface with its stack.</summary>
    internal static (string Message, ExitCode Code)? Describe(Exception e, CancellationToken ct) => e switch
    {
        CommandException c => ($"error: {c.Message}", c.ExitCode),
        TraceloopApiException { Status: null } a => ($"error: {a.Message}", ExitCode.Unreachable),
        TraceloopApiException a => ($"error: {a.Message}", ExitCode.ApiError),
        OperationCanceledException when ct.IsCancellationRequested => ("interrupted", ExitCode.Interrupted),
        // HttpClient reports its own timeout as a cancellation the caller did not ask for.
        OperationCanceledException => ("error: the recorder did not answer in time", ExitCode.Unreachable),
        HttpRequestException h => ($"error: the connection to the recorder failed: {h.Message}", ExitCode.Unreachable),
        MessagePackSerializationException m => ($"error: the recorder sent a dump that cannot be read: {m.Message}", ExitCode.Failed),
        System.Text.Json.JsonException j => ($"error: the recorder sent JSON that cannot be read: {j.Message}", ExitCode.Failed),
        IOException or UnauthorizedAccessException => ($"error: {e.Message}", ExitCode.Failed),
        _ => null,
    };

    /// <summary>
    /// The most telling parse error on one line: "Required command was not provided" says less
    /// than the unknown word that caused it, and the library's lists of allowed values span lines.
    /// </summary>
    private static string UsageError(ParseResult parse)
    {
        System.CommandLine.Parsing.ParseError error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal)))
            ?? parse.Errors[0];
        return string.Join(' ', error.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = parse.CommandResult; r is not null; r = r.Parent)
        {
            if (r is System.CommandLine.Parsing.CommandResult c)
            {
                names.Add(c.Command is RootCommand ? "traceloop" : c.Command.Name);
            }
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
