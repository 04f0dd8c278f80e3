using System.Text;
using Traceloop.Api;
using Traceloop.Recorder.Dumps;
using Traceloop.Tests.Api;

namespace Traceloop.Tests.Dumps;

/// <summary>A text dump's header tells where recording began, and why, apart from the events overwritten.</summary>
public sealed class DumpHeaderTextTests
{
    private static string Header(string? origin, long lost, long missed, DateTimeOffset? completeFrom = null)
    {
        ContainerInfo c = ApiSamples.SparseContainer();
        var header = new DumpHeader
        {
            Container = new ContainerInfo
            {
                Id = c.Id,
                CgroupPath = c.CgroupPath,
                FirstSeen = c.FirstSeen,
                RecordingOrigin = origin,
                RecordingSince = origin is null ? null : ApiSamples.T0.AddSeconds(3),
                EventsMissed = missed,
                EventsLost = lost,
            },
            TraceloopVersion = "test",
            Events = 10,
            EventsLost = lost,
            TakenAt = ApiSamples.T0.AddSeconds(60),
            CompleteFrom = completeFrom,
        };
        var sb = new StringBuilder();
        DumpWriter.AppendTextHeader(sb, header);
        return sb.ToString();
    }

    [Fact]
    public void AContainerFoundRunningSaysItsEarlierEventsWereNeverRecorded()
    {
        string text = Header(RecordingOrigins.Adopted, lost: 5, missed: 0);

        Assert.Contains("10 events, 5 older events lost to overwriting\n", text, StringComparison.Ordinal);
        Assert.Contains("# recording began 2024-05-06 12:03:07.123456 UTC when the recorder found the container already running; what it did before was never recorded\n",
            text, StringComparison.Ordinal);
    }

    [Fact]
    public void EventsMissedForWantOfARingAreNotCountedAsOverwritten()
    {
        string text = Header(RecordingOrigins.LateRing, lost: 20, missed: 17);

        Assert.Contains("3 older events lost to overwriting\n", text, StringComparison.Ordinal);
        Assert.Contains("when a ring became free after the container started; its events before that were counted, not recorded (17 events)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ADumpFromARecorderThatDidNotSayHasNoSuchLine() =>
        Assert.DoesNotContain("recording began", Header(null, lost: 0, missed: 0), StringComparison.Ordinal);

    [Fact]
    public void AWindowWhoseStartIsNotCompleteSaysFromWhenItIs()
    {
        string text = Header(RecordingOrigins.FirstSyscall, lost: 40, missed: 0, completeFrom: ApiSamples.T0.AddSeconds(12.5));

        Assert.Contains("# complete from 12:03:16.623456 UTC: before it, CPUs whose part of the ring wrapped have lost events that other CPUs' older events may outlive\n",
            text, StringComparison.Ordinal);
    }

    [Fact]
    public void AWindowCompleteFromItsStartHasNoSuchLine() =>
        Assert.DoesNotContain("complete from", Header(RecordingOrigins.FirstSyscall, lost: 40, missed: 0), StringComparison.Ordinal);
}
