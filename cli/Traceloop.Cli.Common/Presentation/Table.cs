namespace Traceloop.Cli.Common.Presentation;

/// <summary>One cell of a <see cref="Table"/>: its text and, on a terminal, its colour.</summary>
public readonly record struct TableCell(string Text, AnsiColor Color = AnsiColor.None)
{
    public static implicit operator TableCell(string text) => new(text);
}

/// <summary>
/// A table laid out as kubectl prints one: upper-case headers, each column as wide as its
/// widest cell, columns separated by three spaces, and no trailing spaces (the last column is
/// not padded).
/// </summary>
public sealed class Table
{
    private const string Separator = "   ";
    private readonly string[] _headers;
    private readonly List<TableCell[]> _rows = [];

    public Table(params string[] headers)
    {
        ArgumentOutOfRangeException.ThrowIfZero(headers.Length);
        _headers = [.. headers.Select(h => h.ToUpperInvariant())];
    }

    public int RowCount => _rows.Count;

    public void AddRow(params TableCell[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"a row of {cells.Length} cells in a table of {_headers.Length} columns", nameof(cells));
        }
        _rows.Add(cells);
    }

    /// <summary>Writes the headers and rows; colours are written only when <paramref name="color"/> is true.</summary>
    public void Write(TextWriter output, bool color = false)
    {
        var widths = new int[_headers.Length];
        for (int c = 0; c < widths.Length; c++)
        {
            widths[c] = _headers[c].Length;
            foreach (TableCell[] row in _rows)
            {
                widths[c] = Math.Max(widths[c], Clean(row[c].Text).Length);
            }
        }
        WriteLine(output, widths, [.. _headers.Select(h => new TableCell(h))], color: false);
        foreach (TableCell[] row in _rows)
        {
            WriteLine(output, widths, row, color);
        }
    }

    private static void WriteLine(TextWriter output, int[] widths, TableCell[] cells, bool color)
    {
        // Trailing empty cells would leave the padding of the column before them.
        int last = cells.Length - 1;
        while (last > 0 && Clean(cells[last].Text).Length == 0)
        {
            last--;
        }
        for (int c = 0; c <= last; c++)
        {
            string text = Clean(cells[c].Text);
            output.Write(color ? Ansi.Paint(text, cells[c].Color) : text);
            if (c < last)
            {
                output.Write(new string(' ', widths[c] - text.Length));
                output.Write(Separator);
            }
        }
        output.Write('\n');
    }

    /// <summary>A cell is one line of printable text: control characters would break the layout (or the terminal).</summary>
    private static string Clean(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }
}
