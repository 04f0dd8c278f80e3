using Traceloop.Api;
using Traceloop.Recorder.Crashes;

namespace Traceloop.Tests.Crashes;

public sealed class DumpAnnouncerTests
{
    [Fact]
    public void EventNamesAreDnsSubdomains_EvenForLongPodNames()
    {
        Assert.Equal("web-7d9f.traceloop.20261123t081304123z-3f9a1c2b", DumpAnnouncer.EventName("web-7d9f", "20261123T081304123Z-3f9a1c2b"));
        string longName = DumpAnnouncer.EventName(new string('p', 250), "20261123T081304123Z-3f9a1c2b");
        Assert.Equal("traceloop.20261123t081304123z-3f9a1c2b", longName);
    }

    [Fact]
    public void TheMessageSaysWhatHappenedAndHowToGetIt()
    {
        var dump = new SavedDumpInfo
        {
            Id = "20261123T081304123Z-3f9a1c2b",
            Trigger = new DumpTrigger { Kind = DumpTriggerKinds.Signal, Signal = 11, SignalName = "SIGSEGV" },
        };
        Assert.Equal("2113 syscalls before SIGSEGV; kubectl traceloop get 20261123T081304123Z-3f9a1c2b",
            DumpAnnouncer.Message(new DumpAnnouncement(dump, 2113), 1, null));
        Assert.Equal("12 dumps since 10:04:05Z, latest: 2113 syscalls before SIGSEGV; kubectl traceloop get 20261123T081304123Z-3f9a1c2b",
            DumpAnnouncer.Message(new DumpAnnouncement(dump, 2113), 12, new DateTimeOffset(2026, 11, 23, 10, 4, 5, TimeSpan.Zero)));
    }
}
