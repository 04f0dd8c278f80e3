using Kubectl.Traceloop.Output;
using Traceloop.Api;

namespace Traceloop.Tests.Kubectl;

public sealed class PluginTablesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ThePodsTable_IsAlignedAsKubectls_InKubernetesTerms()
    {
        ContainerInfo[] rows =
        [
            Container("shop", "checkout", "app", "node-a", held: 1234, lost: 0, age: TimeSpan.FromMinutes(5)),
            Container("kube-system", "coredns-7db6d8ff4d-x2x9k", "coredns", "node-b", held: 7, lost: 42, age: TimeSpan.FromHours(3), exit: 3 << 8),
        ];
        var output = new StringWriter();
        PluginTables.Pods(rows, Now).Write(output);
        Assert.Equal("""
            NAMESPACE     POD                        CONTAINER   NODE     EVENTS   LOST   AGE   STATUS
            shop          checkout                   app         node-a   1234     0      5m    Running
            kube-system   coredns-7db6d8ff4d-x2x9k   coredns     node-b   7        42     3h    Exited (3)

            """.ReplaceLineEndings("\n"), output.ToString());
    }

    [Fact]
    public void TheDumpsTable_NamesPodContainerTrigger_AndThePodsNode()
    {
        SavedDumpInfo[] rows =
        [
            new SavedDumpInfo
            {
                Id = "20260101T115800Z-1a2b",
                Container = Container("shop", "checkout", "app", "node-a", 1, 0, TimeSpan.Zero),
                Trigger = new DumpTrigger { Kind = DumpTriggerKinds.Signal, Signal = 11, SignalName = "SIGSEGV", CoreDumped = true },
                TakenAt = Now.AddMinutes(-2),
                SizeBytes = 2048,
                Node = "node-a.internal.example",
            },
            // Unnamed (corrupt): the recorder's own node name is all there is.
            new() { Id = "bad", Corrupt = true, Error = "truncated", TakenAt = Now.AddDays(-1), SizeBytes = 10, Node = "node-b" },
        ];
        var output = new StringWriter();
        PluginTables.Dumps(rows, Now).Write(output);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["ID", "NAMESPACE", "POD", "CONTAINER", "TRIGGER", "AGE", "SIZE", "NODE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("20260101T115800Z-1a2b   shop        checkout   app         SIGSEGV (core dumped)", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("   node-a", lines[1], StringComparison.Ordinal);
        Assert.Contains("corrupt: truncated", lines[2], StringComparison.Ordinal);
        Assert.Equal(lines[0].IndexOf("NODE", StringComparison.Ordinal), lines[2].IndexOf("node-b", StringComparison.Ordinal));
    }

    private static ContainerInfo Container(string ns, string pod, string name, string node, long held, long lost, TimeSpan age, int? exit = null) => new()
    {
        Id = new string('a', 64),
        CgroupPath = "/kubepods/x",
        Namespace = ns,
        Pod = pod,
        Container = name,
        Node = node,
        EventsHeld = held,
        EventsLost = lost,
        FirstSeen = Now - age,
        ExitStatus = exit,
        ExitedAt = exit is null ? null : Now,
    };
}
