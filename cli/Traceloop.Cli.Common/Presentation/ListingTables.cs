using System.Globalization;
using Traceloop.Api;

namespace Traceloop.Cli.Common.Presentation;

/// <summary>The tables of recorded containers and saved dumps, shared by the node CLI and the kubectl plugin.</summary>
public static class ListingTables
{
    /// <summary>kubectl's mark for a value that is not set.</summary>
    public const string None = "<none>";

    /// <summary>
    /// CONTAINER/NAMESPACE/POD/NAME/PID/EVENTS/LOST/FILL/AGE/STATUS, one row per container;
    /// <paramref name="node"/> adds a leading NODE column (cluster-wide listings).
    /// </summary>
    public static Table Containers(IEnumerable<ContainerInfo> containers, DateTimeOffset now, bool node = false)
    {
        string[] headers = ["CONTAINER", "NAMESPACE", "POD", "NAME", "PID", "EVENTS", "LOST", "FILL", "AGE", "STATUS"];
        var table = new Table(node ? ["NODE", .. headers] : headers);
        foreach (ContainerInfo c in containers)
        {
            (string status, AnsiColor color) = Status(c);
            // A ring the recorder could not read has no figures to show, only the reason.
            bool unread = c.RingError is not null;
            TableCell[] cells =
            [
                ShortId(c.Id),
                c.Namespace ?? None,
                c.Pod ?? None,
                c.Container ?? None,
                c.MainPid?.ToString(CultureInfo.InvariantCulture) ?? None,
                unread ? "?" : c.EventsHeld.ToString(CultureInfo.InvariantCulture),
                unread ? "?" : new TableCell(c.EventsLost.ToString(CultureInfo.InvariantCulture), c.EventsLost > 0 ? AnsiColor.Yellow : AnsiColor.None),
                unread ? "?" : HumanFormat.Percent(c.BufferFill),
                HumanFormat.Age(c.FirstSeen, now),
                new(status, color),
            ];
            table.AddRow(node ? [c.Node ?? None, .. cells] : cells);
        }
        return table;
    }

    /// <summary>
    /// ID/CONTAINER/TRIGGER/AGE/EVENTS/SIZE, one row per saved dump; a corrupt dump says so in
    /// TRIGGER. <paramref name="node"/> adds a leading NODE column.
    /// </summary>
    public static Table SavedDumps(IEnumerable<SavedDumpInfo> dumps, DateTimeOffset now, bool node = false)
    {
        string[] headers = ["ID", "CONTAINER", "TRIGGER", "AGE", "EVENTS", "SIZE"];
        var table = new Table(node ? ["NODE", .. headers] : headers);
        foreach (SavedDumpInfo d in dumps)
        {
            TableCell trigger = d.Corrupt
                ? new TableCell("corrupt: " + (d.Error ?? "unreadable"), AnsiColor.Red)
                : new TableCell(d.Trigger?.Description ?? None, d.Trigger?.Kind == DumpTriggerKinds.Manual ? AnsiColor.None : AnsiColor.Yellow);
            TableCell[] cells =
            [
                d.Id,
                d.Container is { } c ? (c.Namespace is not null && c.Pod is not null ? c.DisplayName : ShortId(c.Id)) : None,
                trigger,
                HumanFormat.Age(d.TakenAt, now),
                d.Events.ToString(CultureInfo.InvariantCulture),
                HumanFormat.Size(d.SizeBytes),
            ];
            table.AddRow(node ? [d.Node ?? d.Container?.Node ?? None, .. cells] : cells);
        }
        return table;
    }

    /// <summary>Container ids shortened to 12 hex digits, as docker and crictl print them.</summary>
    public static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    /// <summary>Running, or how the main process ended (the wait status: exit code in bits 8-15, signal in 0-6).</summary>
    public static (string Text, AnsiColor Color) Status(ContainerInfo c)
    {
        if (c.RingError is { } error)
        {
            return ("Ring unreadable: " + error, AnsiColor.Red);
        }
        if (c.ExitedAt is null && c.ExitStatus is null)
        {
            return ("Running", AnsiColor.Green);
        }
        if (c.ExitStatus is not { } status)
        {
            return ("Exited", AnsiColor.Dim);
        }
        int signal = status & 0x7f;
        if (signal != 0)
        {
            return ((status & 0x80) != 0 ? $"Killed (signal {signal}, core dumped)" : $"Killed (signal {signal})", AnsiColor.Red);
        }
        int code = (status >> 8) & 0xff;
        return ($"Exited ({code})", code == 0 ? AnsiColor.Dim : AnsiColor.Red);
    }
}
