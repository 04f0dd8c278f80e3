using System.Text.Json.Serialization.Metadata;
using Traceloop.Cli.Common.Presentation;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Output;

/// <summary>Prints a listing as a table, or as JSON or YAML of the API's own types for scripts.</summary>
internal static class ListingWriter
{
    /// <param name="empty">kubectl's "No resources found" line, to stderr, when a table would be empty.</param>
    public static void Write<T>(CliConsole console, string output, List<T> items, JsonTypeInfo<List<T>> type, Func<Table> table, string empty)
    {
        if (!StructuredOutput.TryParse(output, out OutputFormat format))
        {
            throw new PluginException($"unknown output format {output}", ExitCode.Usage);
        }
        if (format != OutputFormat.Table)
        {
            StructuredOutput.Write(format, items, type, console.Out);
            return;
        }
        if (items.Count == 0)
        {
            console.Error.WriteLine(empty);
            return;
        }
        table().Write(console.Out, console.Color);
    }
}
