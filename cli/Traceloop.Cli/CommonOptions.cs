using System.CommandLine;
using Traceloop.Api;
using Traceloop.Cli.Common;
using Traceloop.Cli.Common.Presentation;

namespace Traceloop.Cli;

/// <summary>The options several verbs share, defined once, and what they resolve to.</summary>
internal sealed class CommonOptions
{
    public const string SocketEnvironmentVariable = "TRACELOOP_SOCKET";
    public static readonly string[] DumpFormats = ["text", "json", "msgpack", "perfetto"];

    public CommonOptions(CliConsole console)
    {
        Console = console;
        Socket = new Option<string>("--socket")
        {
            Description = $"The recorder's Unix socket (default: ${SocketEnvironmentVariable}, else {TraceloopSocket.DefaultPath})",
            Recursive = true,
            HelpName = "path",
        };
    }

    public CliConsole Console { get; }

    public Option<string> Socket { get; }

    /// <summary><c>-o table|json|yaml</c> for listings.</summary>
    public static Option<string> OutputFormat()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format: table, json or yaml",
            HelpName = "format",
            DefaultValueFactory = _ => "table",
        };
        option.AcceptOnlyFromAmong(StructuredOutput.Names);
        return option;
    }

    /// <summary><c>--format text|json|msgpack|perfetto</c> for dumps.</summary>
    public static Option<string> DumpFormat()
    {
        var option = new Option<string>("--format")
        {
            Description = "Dump format: text (strace-like), json (one event per line), msgpack, or perfetto (Chrome trace-event JSON for ui.perfetto.dev)",
            DefaultValueFactory = _ => "text",
        };
        option.AcceptOnlyFromAmong(DumpFormats);
        return option;
    }

    /// <summary><c>-o FILE</c> for dumps: written with mode 0600, since a dump can hold what a program read or wrote.</summary>
    public static Option<string> OutputFile() => new("--output", "-o")
    {
        Description = "Write the dump to this file instead of standard output",
        HelpName = "file",
    };

    /// <summary>The <c>container-id|namespace/pod</c> argument of dump and snapshot.</summary>
    public static Argument<string> Target() => new("target") { Description = "A container id (or a unique prefix of it), or namespace/pod" };

    /// <summary><c>-c</c> beside a namespace/pod target.</summary>
    public static Option<string> PodContainer() => new("--container", "-c") { Description = "With namespace/pod: only this container of the pod" };

    /// <summary>The namespace, pod and container filters of the listings.</summary>
    public static (Option<string> Namespace, Option<string> Pod, Option<string> Container) NameFilters(string what) =>
        (new Option<string>("--namespace", "-n") { Description = $"Only {what} of pods in this namespace" },
         new Option<string>("--pod") { Description = $"Only {what} of this pod" },
         new Option<string>("--container", "-c") { Description = $"Only {what} of containers with this name in their pod" });

    /// <summary>
    /// A listing as <c>-o</c> asks: JSON or YAML of the API objects (an empty list included, for
    /// scripts), else the table, or a note on stderr when there is nothing to show.
    /// </summary>
    public void WriteListing<T>(OutputFormat format, List<T> items, System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<T>> type,
        Func<DateTimeOffset, Table> table, string none)
    {
        if (format != Common.Presentation.OutputFormat.Table)
        {
            StructuredOutput.Write(format, items, type, Console.Out);
        }
        else if (items.Count == 0)
        {
            Console.Error.WriteLine(none);
        }
        else
        {
            table(Console.Clock.GetUtcNow()).Write(Console.Out, Console.Color);
        }
    }

    public string SocketPath(ParseResult parse) =>
        parse.GetValue(Socket) is { Length: > 0 } path ? path
        : Console.GetEnvironmentVariable(SocketEnvironmentVariable) is { Length: > 0 } env ? env
        : TraceloopSocket.DefaultPath;

    public TraceloopClient Client(ParseResult parse) => new(SocketPath(parse));

    public static OutputFormat ParseOutputFormat(string? text) =>
        StructuredOutput.TryParse(text, out OutputFormat format) ? format : throw new CliException($"output format '{text}' is not one of table, json, yaml");
}
