using System.Text;
using Traceloop.Cli.Common.Presentation;

namespace Traceloop.Cli.Common;

/// <summary>
/// Where a command writes and what it knows of its surroundings: standard output as bytes
/// (dumps pass through unchanged) and as text, standard error, whether output is a terminal,
/// the environment and the clock. Tests build one over memory streams.
/// </summary>
public sealed class CliConsole
{
    private readonly Func<string, string?> _environment;

    /// <param name="autoFlush">
    /// Flush <see cref="Out"/> after every write. The kubectl plugin asks for it: it never flushes
    /// at the end of a command, and its partial tables and stderr warnings keep their order. The
    /// node CLI buffers and flushes once, before anything goes to stderr.
    /// </param>
    public CliConsole(Stream output, TextWriter error, bool outputIsTerminal, Func<string, string?> environment, TimeProvider clock, bool autoFlush = false)
    {
        OutputStream = output;
        Out = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true)
        {
            AutoFlush = autoFlush,
            NewLine = "\n",
        };
        Error = error;
        OutputIsTerminal = outputIsTerminal;
        _environment = environment;
        Clock = clock;
        Color = Ansi.ShouldColor(outputIsTerminal, environment("NO_COLOR"), environment("TERM"));
    }

    /// <summary>The process's own standard streams.</summary>
    public static CliConsole FromProcess(bool autoFlush = false) => new(
        Console.OpenStandardOutput(),
        new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" },
        !Console.IsOutputRedirected,
        Environment.GetEnvironmentVariable,
        TimeProvider.System,
        autoFlush);

    /// <summary>Standard output as bytes; flush <see cref="Out"/> before writing here.</summary>
    public Stream OutputStream { get; }

    /// <summary>Standard output as UTF-8 text with "\n" line ends.</summary>
    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public bool OutputIsTerminal { get; }

    /// <summary>Colour tables: stdout is a terminal, NO_COLOR is unset and TERM is not dumb.</summary>
    public bool Color { get; }

    public TimeProvider Clock { get; }

    public string? GetEnvironmentVariable(string name) => _environment(name);
}
