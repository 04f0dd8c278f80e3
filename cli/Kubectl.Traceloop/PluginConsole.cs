using System.Text;
using Traceloop.Cli.Common.Presentation;

namespace Kubectl.Traceloop;

/// <summary>Where the plugin writes: text and raw bytes to one standard output, messages to stderr; tests pass their own.</summary>
internal sealed class PluginConsole(Stream output, TextWriter error, bool color)
{
    public Stream OutputStream { get; } = output;

    public TextWriter Out { get; } = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true, NewLine = "\n" };

    public TextWriter Error { get; } = error;

    /// <summary>Colour in tables: only on a terminal, and not with NO_COLOR.</summary>
    public bool Color { get; } = color;

    public static PluginConsole ForProcess() =>
        new(Console.OpenStandardOutput(), Console.Error, Ansi.ShouldColorConsole());
}
