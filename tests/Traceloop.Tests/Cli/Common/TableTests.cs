using Traceloop.Api;
using Traceloop.Cli.Common.Presentation;
using Traceloop.Tests.Api;

namespace Traceloop.Tests.Cli.Common;

public sealed class TableTests
{
    [Fact]
    public void Columns_AreAlignedByThreeSpaces_HeadersUpperCase_NoTrailingSpaces()
    {
        var table = new Table("name", "Pid", "status");
        table.AddRow("web", "1", "Running");
        table.AddRow("a-much-longer-name", "12345", "Exited (3)");
        string text = Render(table);
        Assert.Equal(
            "NAME                 PID     STATUS\n" +
            "web                  1       Running\n" +
            "a-much-longer-name   12345   Exited (3)\n", text);
    }

    [Fact]
    public void EmptyLastCells_LeaveNoTrailingSpaces()
    {
        var table = new Table("A", "B");
        table.AddRow("x", "");
        Assert.Equal("A   B\nx\n", Render(table));
    }

    [Fact]
    public void Colour_IsWrittenOnlyWhenAsked_AndDoesNotShiftColumns()
    {
        var table = new Table("STATUS", "AGE");
        table.AddRow(new TableCell("Running", AnsiColor.Green), "5s");
        table.AddRow(new TableCell("Exited (1)", AnsiColor.Red), "2m");
        string plain = Render(table);
        var colored = new StringWriter();
        table.Write(colored, color: true);
        Assert.DoesNotContain("\e[", plain, StringComparison.Ordinal);
        Assert.Contains("\e[32mRunning\e[0m", colored.ToString(), StringComparison.Ordinal);
        Assert.Equal(plain, System.Text.RegularExpressions.Regex.Replace(colored.ToString(), "\e\\[[0-9;]*m", ""));
    }

    [Fact]
    public void ControlCharacters_InCells_CannotBreakTheLayoutOrTheTerminal()
    {
        var table = new Table("NAME");
        table.AddRow("evil\nname\e[2J");
        Assert.Equal("NAME\nevil?name?[2J\n", Render(table));
    }

    [Fact]
    public void RowsOfTheWrongWidth_AreRefused()
    {
        var table = new Table("A", "B");
        Assert.Throws<ArgumentException>(() => table.AddRow("only one"));
    }

    [Theory]
    [InlineData(true, null, "xterm", true)]
    [InlineData(true, "", "xterm", true)]
    [InlineData(true, "1", "xterm", false)]
    [InlineData(false, null, "xterm", false)]
    [InlineData(true, null, "dumb", false)]
    public void Colour_OnlyOnATerminal_WithoutNoColor(bool terminal, string? noColor, string term, bool expected) =>
        Assert.Equal(expected, Ansi.ShouldColor(terminal, noColor, term));

    [Fact]
    public void ContainerTable_ShowsNamesStateAndAge()
    {
        ContainerInfo running = ApiSamples.FullContainer();
        running = new ContainerInfo
        {
            Id = running.Id, CgroupPath = running.CgroupPath, FirstSeen = ApiSamples.T0, Namespace = "shop", Pod = "checkout-7d9f",
            Container = "app", MainPid = 4242, EventsHeld = 14000, EventsLost = 0, BufferFill = 0.375,
        };
        ContainerInfo local = ApiSamples.SparseContainer();
        string text = Render(ListingTables.Containers([running, ApiSamples.FullContainer(), local], ApiSamples.T0.AddMinutes(3)));
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["CONTAINER", "NAMESPACE", "POD", "NAME", "PID", "EVENTS", "LOST", "FILL", "AGE", "STATUS"], lines[0].Split("   ", StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
        Assert.Matches(@"^3f2a9c1b0d8e\s+shop\s+checkout-7d9f\s+app\s+4242\s+14000\s+0\s+38%\s+3m\s+Running$", lines[1]);
        // The full sample exited with SIGSEGV and a core (wait status 11 | 0x80).
        Assert.EndsWith("Killed (signal 11, core dumped)", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^abc\s+<none>\s+<none>\s+<none>\s+<none>\s+0\s+0\s+0%\s+3m\s+Running$", lines[3]);
    }

    [Fact]
    public void ContainerTable_ShowsARingItCouldNotReadAsSuch_WithNoFigures()
    {
        ContainerInfo broken = new()
        {
            Id = "3f2a9c1b0d8e" + new string('0', 52), CgroupPath = "/x", FirstSeen = ApiSamples.T0, MainPid = 7,
            RingError = "ring header gives a data size of 3 bytes, which is not a power of two",
        };
        string[] lines = Render(ListingTables.Containers([broken], ApiSamples.T0.AddSeconds(5))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^3f2a9c1b0d8e\s+<none>\s+<none>\s+<none>\s+7\s+\?\s+\?\s+\?\s+5s\s+Ring unreadable: ring header gives a data size of 3 bytes, which is not a power of two$", lines[1]);
    }

    [Fact]
    public void SavedDumpTable_MarksCorruptDumps()
    {
        SavedDumpInfo crash = new()
        {
            Id = "20260505T120000123Z-0123456789ab", Container = ApiSamples.FullContainer(), Trigger = ApiSamples.FullTrigger(),
            TakenAt = ApiSamples.T0, Events = 14000, SizeBytes = 300 * 1024,
        };
        SavedDumpInfo corrupt = new() { Id = "20260505T110000000Z-ffffffffffff", TakenAt = ApiSamples.T0.AddHours(-1), Corrupt = true, Error = "the dump is truncated: 3 of 9 events", SizeBytes = 10 };
        string[] lines = Render(ListingTables.SavedDumps([crash, corrupt], ApiSamples.T0.AddSeconds(45), node: true)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NODE ", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^node-a\s+20260505T120000123Z-0123456789ab\s+shop/checkout-7d9f/app\s+SIGSEGV \(core dumped\)\s+45s\s+14000\s+300KiB$", lines[1]);
        Assert.Matches(@"^<none>\s+20260505T110000000Z-ffffffffffff\s+<none>\s+corrupt: the dump is truncated: 3 of 9 events\s+60m\s+0\s+10B$", lines[2]);
    }

    private static string Render(Table table)
    {
        var output = new StringWriter();
        table.Write(output);
        return output.ToString();
    }
}
