namespace Traceloop.Cli.Common.Presentation;

/// <summary>The few colours the CLIs use, for states a reader should notice.</summary>
public enum AnsiColor
{
    None,
    Red,
    Green,
    Yellow,
    Dim,
}

/// <summary>ANSI colour, used only when the output is a terminal and <c>NO_COLOR</c> is unset (https://no-color.org).</summary>
public static class Ansi
{
    /// <summary>Whether to colour: a terminal, NO_COLOR absent or empty, and a terminal that understands escapes.</summary>
    public static bool ShouldColor(bool outputIsTerminal, string? noColor, string? term) =>
        outputIsTerminal && string.IsNullOrEmpty(noColor) && term != "dumb";

    public static string Paint(string text, AnsiColor color) => color switch
    {
        AnsiColor.None => text,
        AnsiColor.Red => "\e[31m" + text + "\e[0m",
        AnsiColor.Green => "\e[32m" + text + "\e[0m",
        AnsiColor.Yellow => "\e[33m" + text + "\e[0m",
        AnsiColor.Dim => "\e[2m" + text + "\e[0m",
        _ => text,
    };
}
