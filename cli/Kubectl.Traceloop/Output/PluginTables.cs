using System.Globalization;
using Traceloop.Api;
using Traceloop.Cli.Common.Presentation;

namespace Kubectl.Traceloop.Output;

/// <summary>The plugin's cluster-wide tables, in Kubernetes terms first (namespace, pod, container, node).</summary>
internal static class PluginTables
{
    /// <summary>NAMESPACE/POD/CONTAINER/NODE/EVENTS/LOST/AGE/STATUS, one row per recorded container.</summary>
    public static Table Pods(IEnumerable<ContainerInfo> containers, DateTimeOffset now)
    {
        var table = new Table("NAMESPACE", "POD", "CONTAINER", "NODE", "EVENTS", "LOST", "AGE", "STATUS");
        foreach (ContainerInfo c in containers)
        {
            (string status, AnsiColor color) = ListingTables.Status(c);
            table.AddRow(
                c.Namespace ?? ListingTables.None,
                c.Pod ?? ListingTables.None,
                c.Container ?? ListingTables.ShortId(c.Id),
                c.Node ?? ListingTables.None,
                c.EventsHeld.ToString(CultureInfo.InvariantCulture),
                new TableCell(c.EventsLost.ToString(CultureInfo.InvariantCulture), c.EventsLost > 0 ? AnsiColor.Yellow : AnsiColor.None),
                HumanFormat.Age(c.FirstSeen, now),
                new TableCell(status, color));
        }
        return table;
    }

    /// <summary>
    /// ID/NAMESPACE/POD/CONTAINER/TRIGGER/AGE/SIZE/NODE, one row per saved dump. NODE is the
    /// Kubernetes node of the dumped container's pod when it was named, else the name the
    /// recorder put in the file (which can be the host name).
    /// </summary>
    public static Table Dumps(IEnumerable<SavedDumpInfo> dumps, DateTimeOffset now)
    {
        var table = new Table("ID", "NAMESPACE", "POD", "CONTAINER", "TRIGGER", "AGE", "SIZE", "NODE");
        foreach (SavedDumpInfo d in dumps)
        {
            TableCell trigger = d.Corrupt
                ? new TableCell("corrupt: " + (d.Error ?? "unreadable"), AnsiColor.Red)
                : new TableCell(d.Trigger?.Description ?? ListingTables.None,
                    d.Trigger is null || d.Trigger.Kind == DumpTriggerKinds.Manual ? AnsiColor.None : AnsiColor.Red);
            table.AddRow(
                d.Id,
                d.Container?.Namespace ?? ListingTables.None,
                d.Container?.Pod ?? ListingTables.None,
                d.Container is { } c ? c.Container ?? ListingTables.ShortId(c.Id) : ListingTables.None,
                trigger,
                HumanFormat.Age(d.TakenAt, now),
                HumanFormat.Size(d.SizeBytes),
                d.Container?.Node ?? d.Node ?? ListingTables.None);
        }
        return table;
    }
}
