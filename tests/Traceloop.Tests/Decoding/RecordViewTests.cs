using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Decoding;

public sealed class RecordViewTests
{
    private const int NR_renameat = 264;

    [Fact]
    public void EachArgumentFindsItsOwnPayload()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, NR_renameat, 1, [3, 0x1000, 4, 0x2000], comm: "mv",
            payloads: [PayloadSpec.String(1, "old-name"), PayloadSpec.String(3, "new", PayloadFlags.Truncated)]);

        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent e = Assert.Single(EventAssembler.Assemble(snapshot));

        Assert.True(RecordView.TryGetPayload(snapshot.Buffer, e, 1, out Payload first));
        Assert.Equal(("old-name", false), (Encoding.UTF8.GetString(first.Data), first.Truncated));
        Assert.True(RecordView.TryGetPayload(snapshot.Buffer, e, 3, out Payload second));
        Assert.Equal(("new", true, PayloadKind.String), (Encoding.UTF8.GetString(second.Data), second.Truncated, second.Kind));
        Assert.False(RecordView.TryGetPayload(snapshot.Buffer, e, 0, out _));
        Assert.True(RecordView.IsTruncated(snapshot.Buffer, e));
        Assert.Equal("mv", RecordView.Comm(snapshot.Buffer, e));
        Assert.Equal(0x2000UL, RecordView.Arg(snapshot.Buffer, e, 3));
    }

    [Fact]
    public void APayloadCountTheRecordCannotHoldFindsNothing()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord rec = ring.Enter(1, 1, NR_renameat, 1, payloads: [PayloadSpec.String(1, "a")]);
        ring.Corrupt(rec, 36, [9, 0]); // npayloads = 9
        ring.Enter(1, 2, NR_renameat, 2, payloads: [PayloadSpec.String(1, "b")]);

        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);

        Assert.False(RecordView.TryGetPayload(snapshot.Buffer, events[0], 2, out _));
        Assert.True(RecordView.TryGetPayload(snapshot.Buffer, events[0], 1, out Payload p));
        Assert.Equal("a"u8.ToArray(), p.Data.ToArray());
    }

    [Fact]
    public void APayloadLengthRunningPastTheRecordFindsNothing()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord rec = ring.Enter(1, 1, NR_renameat, 1, payloads: [PayloadSpec.String(1, "abc")]);
        ring.Corrupt(rec, RingBuilder.EnterSize + 4, [0xff, 0x0f]); // len = 4095
        ring.Exit(1, 1, NR_renameat, 0, 2);

        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent e = EventAssembler.Assemble(snapshot)[0];

        Assert.False(RecordView.TryGetPayload(snapshot.Buffer, e, 1, out _));
    }

    [Fact]
    public void AnEventWithoutItsEnterHasNoCommOrPayload()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Exit(1, 1, NR_renameat, 0, 2);

        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent e = Assert.Single(EventAssembler.Assemble(snapshot));

        Assert.Equal("?", RecordView.Comm(snapshot.Buffer, e));
        Assert.False(RecordView.TryGetPayload(snapshot.Buffer, e, 0, out _));
        Assert.False(RecordView.IsTruncated(snapshot.Buffer, e));
    }
}
