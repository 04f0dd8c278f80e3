using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Records;

/// <summary>Rings split into per-CPU sub-rings: each is read as a ring of its own, then merged by time.</summary>
public sealed class SubRingSnapshotTests
{
    private const int NR_read = 0;
    private const int NR_write = 1;
    private const int NR_getpid = 39;

    [Fact]
    public void RecordsOfTwoSubRingsAreMergedByTimestampAndNumberedAcrossTheRing()
    {
        var ring = new RingBuilder(8192, subRings: 2);
        ring.Cpu = 0;
        WrittenRecord a1 = ring.Enter(1, 1, NR_read, 10);
        ring.Cpu = 1;
        WrittenRecord b1 = ring.Enter(1, 2, NR_write, 20);
        WrittenRecord b2 = ring.Exit(1, 2, NR_write, 5, 30);
        ring.Cpu = 0;
        WrittenRecord a2 = ring.Exit(1, 1, NR_read, 7, 40);
        ring.Cpu = 3; // CPUs beyond the sub-ring count share: 3 & 1 is sub-ring 1
        WrittenRecord b3 = ring.ProcessExit(1, 2, 0, isLeader: false, 50);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Equal(
            [
                new RecordRef(a1.DataOffset, a1.Length, 0, 0, RecordKind.Enter, 0),
                new RecordRef(b1.DataOffset, b1.Length, 0, 1, RecordKind.Enter, 1),
                new RecordRef(b2.DataOffset, b2.Length, b2.Position, 2, RecordKind.Exit, 1),
                new RecordRef(a2.DataOffset, a2.Length, a2.Position, 3, RecordKind.Exit, 0),
                new RecordRef(b3.DataOffset, b3.Length, b3.Position, 4, RecordKind.ProcessExit, 1),
            ],
            snapshot.Records);
        // Sub-ring 1's data starts after sub-ring 0's data and overhang.
        Assert.Equal(4096 + RingBuilder.Overhang, b1.DataOffset);
        Assert.Equal((2, 0, 0L, 0UL), (snapshot.SubRings, snapshot.WrappedSubRings, snapshot.Lost, snapshot.CompleteFrom));
        Assert.Equal(ring.Head, snapshot.Head);
        Assert.Equal(5UL, snapshot.RecordsReserved);
        // The fullest sub-ring's share: sub-ring 1 holds 208 of its 4096 bytes.
        Assert.Equal(208.0 / 4096, snapshot.Fill);
        Assert.Equal([10UL, 20, 30, 40, 50], snapshot.Records.Select(r => MemoryMarshal.Read<tl_rec>(snapshot.RecordBytes(r)).ts));
    }

    [Fact]
    public void EqualTimestampsGoBySubRingThenPosition()
    {
        var ring = new RingBuilder(16384, subRings: 4);
        ring.Cpu = 2;
        WrittenRecord c1 = ring.Exit(1, 3, NR_getpid, 1, 100);
        WrittenRecord c2 = ring.Exit(1, 3, NR_getpid, 1, 100);
        ring.Cpu = 1;
        WrittenRecord b = ring.Exit(1, 2, NR_getpid, 1, 100);
        ring.Cpu = 0;
        WrittenRecord a = ring.Exit(1, 1, NR_getpid, 1, 100);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Equal([(0, a.Position), (1, b.Position), (2, c1.Position), (2, c2.Position)], snapshot.Records.Select(r => (r.SubRing, r.Position)));
        Assert.Equal([0UL, 1, 2, 3], snapshot.Records.Select(r => r.Sequence));
    }

    [Fact]
    public void LossIsCountedPerSubRingAndOnlyTheWrappedOneLoses()
    {
        var ring = new RingBuilder(8192, subRings: 2);
        ulong ts = 1;
        ring.Cpu = 0;
        ring.Exit(1, 1, NR_read, 0, ts++);
        ring.Exit(1, 1, NR_read, 0, ts++);
        ring.Cpu = 1;
        while (ring.SubHead(1) < 3 * 4096)
        {
            ring.Exit(1, 2, NR_write, 0, ts++);
        }
        ring.Cpu = 0;
        ring.Exit(1, 1, NR_read, 0, ts++);

        using RingSnapshot snapshot = ring.Snapshot();

        List<WrittenRecord> expected = ring.ExpectedHeld();
        Assert.Equal(expected.Select(r => (r.SubRing, r.Position)), snapshot.Records.Select(r => (r.SubRing, r.Position)));
        Assert.Equal(3, snapshot.Records.Count(r => r.SubRing == 0));
        long overwritten = (long)ring.SubRecords(1) - snapshot.Records.Count(r => r.SubRing == 1);
        Assert.True(overwritten > 0);
        Assert.Equal(overwritten, snapshot.Lost);
        Assert.Equal(ring.ExpectedLost(), snapshot.Lost);
        Assert.Equal(ring.RecordsReserved, (ulong)(snapshot.Records.Count + snapshot.Lost));
        // One sub-ring overwrites, so the ring is full, whatever the other holds; and the
        // listing's counters say the same without a copy.
        Assert.Equal(1.0, snapshot.Fill);
        RingCounters counters = RingCounters.Read(ring.Mapping);
        Assert.Equal((1.0, ring.Head, ring.RecordsReserved, 8192UL), (counters.Fill, counters.Head, counters.Records, counters.Size));
        Assert.Equal(3, counters.Held - snapshot.Records.Count(r => r.SubRing == 1));
    }

    [Fact]
    public void ARecordCopiedFromOneSubRingIntoAnotherIsRejected()
    {
        // Positions of different sub-rings overlap: sub-ring 0 and sub-ring 1 both have a record at
        // position 48. Bytes committed for one must not pass for the other, whose key differs.
        var ring = new RingBuilder(8192, subRings: 2);
        ring.Cpu = 0;
        ring.Exit(1, 1, NR_read, 0, 1);
        WrittenRecord genuine = ring.Exit(1, 1, NR_read, 0, 2);
        ring.Cpu = 1;
        ring.Exit(1, 2, NR_write, 0, 3);
        WrittenRecord target = ring.Exit(666, 666, NR_write, 0, 4, commit: false);
        Assert.Equal(genuine.Position, target.Position);
        ring.Corrupt(target, 0, ring.Mapping.AsSpan(genuine.MappingOffset, genuine.Length));
        ring.Exit(1, 2, NR_write, 0, 5);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.DoesNotContain(snapshot.Records, r => r.SubRing == 1 && r.Position == target.Position);
        Assert.Equal(4, snapshot.Records.Count);
        Assert.Equal(1, snapshot.Lost); // the reservation that never committed
    }

    [Fact]
    public void TheSameBytesTaggedWithTheOtherSubRingsKeyWouldPass_SoItIsTheKeyThatRejects()
    {
        var ring = new RingBuilder(8192, subRings: 2);
        ring.Cpu = 0;
        WrittenRecord genuine = ring.Exit(1, 1, NR_read, 0, 1);
        ring.Cpu = 1;
        WrittenRecord target = ring.Exit(666, 666, NR_write, 0, 2, commit: false);
        ring.Corrupt(target, 0, ring.Mapping.AsSpan(genuine.MappingOffset, genuine.Length));
        var retagged = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(retagged, target.Position ^ ring.SubKey(1));
        ring.Corrupt(target, 0, retagged);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Contains(snapshot.Records, r => r.SubRing == 1 && r.Position == target.Position);
        Assert.NotEqual(ring.SubKey(0), ring.SubKey(1));
    }

    [Fact]
    public void AWrappedSubRingBesideAnUnwrappedOneSaysFromWhenTheHistoryIsComplete()
    {
        var ring = new RingBuilder(8192, subRings: 2);
        ulong ts = 1_000;
        ring.Cpu = 0;
        ring.Exit(1, 1, NR_read, 0, ts++); // old, and still held: its sub-ring never wrapped
        ts = 2_000;
        ring.Cpu = 1;
        while (ring.SubHead(1) < 2 * 4096 + 100)
        {
            ring.Exit(1, 2, NR_write, 0, ts++);
        }

        using RingSnapshot snapshot = ring.Snapshot();

        ulong oldestOfWrapped = snapshot.Records.Where(r => r.SubRing == 1)
            .Min(r => MemoryMarshal.Read<tl_rec>(snapshot.RecordBytes(r)).ts);
        Assert.True(oldestOfWrapped > 2_000, "sub-ring 1 should have overwritten its first records");
        Assert.Equal(1, snapshot.WrappedSubRings);
        Assert.Equal(oldestOfWrapped, snapshot.CompleteFrom);
        // The merged history still starts with sub-ring 0's old record, before the complete point.
        Assert.Equal(1_000UL, MemoryMarshal.Read<tl_rec>(snapshot.RecordBytes(snapshot.Records[0])).ts);
    }

    [Fact]
    public void WhenSeveralSubRingsWrappedTheNewestOfTheirOldestRecordsIsTheCompletePoint()
    {
        var ring = new RingBuilder(8192, subRings: 2);
        ulong ts = 1;
        // Both wrap, sub-ring 1 later and faster: its oldest surviving record is the newer one.
        for (int i = 0; i < 200; i++)
        {
            ring.Cpu = 0;
            ring.Exit(1, 1, NR_read, 0, ts++);
        }
        for (int i = 0; i < 400; i++)
        {
            ring.Cpu = i % 4 == 0 ? 0 : 1;
            ring.Exit(1, 2, NR_write, 0, ts++);
        }

        using RingSnapshot snapshot = ring.Snapshot();

        ulong Oldest(int sub) => snapshot.Records.Where(r => r.SubRing == sub).Min(r => MemoryMarshal.Read<tl_rec>(snapshot.RecordBytes(r)).ts);
        Assert.Equal(2, snapshot.WrappedSubRings);
        Assert.Equal(Math.Max(Oldest(0), Oldest(1)), snapshot.CompleteFrom);
        Assert.Equal(ring.ExpectedLost(), snapshot.Lost);
        Assert.Equal(ring.ExpectedHeld().Select(r => (r.SubRing, r.Position)), snapshot.Records.Select(r => (r.SubRing, r.Position)));
    }

    [Fact]
    public void RandomHistoriesOfSeveralSubRingsMatchTheModel()
    {
        var random = new Random(14_2026);
        for (int iteration = 0; iteration < 200; iteration++)
        {
            int subRings = 1 << random.Next(1, 4);
            int size = subRings * (4096 << random.Next(0, 3));
            var ring = new RingBuilder(size, key: (ulong)random.NextInt64() | 1, subRings: subRings);
            int operations = random.Next(0, 3000);
            for (int op = 0; op < operations; op++)
            {
                ring.Cpu = random.Next(0, 16);
                bool commit = random.Next(50) != 0;
                uint tid = (uint)random.Next(1, 5);
                _ = random.Next(3) == 0
                    ? ring.Enter(1, tid, NR_read, (ulong)op, [(ulong)op], payloads: [PayloadSpec.Bytes(1, new byte[random.Next(0, 600)])], commit: commit)
                    : ring.Exit(1, tid, NR_read, op, (ulong)op, commit);
            }

            using RingSnapshot snapshot = ring.Snapshot();

            string context = $"iteration {iteration}, {subRings} sub-rings of {size / subRings} bytes";
            Assert.True(
                ring.ExpectedHeld().Select(r => (r.SubRing, r.Position)).SequenceEqual(snapshot.Records.Select(r => (r.SubRing, r.Position))),
                $"{context}: the records differ from the model's");
            Assert.True(ring.ExpectedLost() == snapshot.Lost, $"{context}: lost {snapshot.Lost}, the model says {ring.ExpectedLost()}");
            Assert.True(snapshot.Records.Select(r => r.Sequence).Zip(snapshot.Records.Skip(1).Select(r => r.Sequence)).All(p => p.First < p.Second),
                $"{context}: sequence numbers do not grow through the merge");
            Assert.Equal(ring.Head, snapshot.Head);
            Assert.Equal(ring.RecordsReserved, snapshot.RecordsReserved);
        }
    }

    [Fact]
    public void ATakenSnapshotNumbersRecordsTheSameWayAsALaterOne()
    {
        var ring = new RingBuilder(16384, subRings: 2);
        for (int i = 0; i < 20; i++)
        {
            ring.Cpu = i % 3 == 0 ? 1 : 0;
            ring.Exit(1, 1, NR_read, i, (ulong)i);
        }
        using RingSnapshot first = ring.Snapshot();
        for (int i = 20; i < 40; i++)
        {
            ring.Cpu = i % 2;
            ring.Exit(1, 1, NR_read, i, (ulong)i);
        }

        using RingSnapshot second = ring.Snapshot();

        Assert.Equal(first.Records, second.Records.Take(first.Records.Count));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (ulong)i), second.Records.Select(r => r.Sequence));
    }

    [Fact]
    public void AFullRingOfMigratingThreadsDumpsEverySyscallInThreadAndTimeOrder()
    {
        // Two threads hop between four CPUs; each numbers its reads (the fd argument) and the ring
        // wraps many times. The dump of what is held pairs every enter with its exit across
        // sub-rings and reads forward in time, each thread's numbers in order.
        var ring = new RingBuilder(4 * 4096, subRings: 4);
        var random = new Random(2);
        ulong ts = 1_000;
        var next = new Dictionary<uint, int> { [101] = 0, [102] = 0 };
        for (int i = 0; i < 4000; i++)
        {
            uint tid = random.Next(2) == 0 ? 101u : 102u;
            int n = next[tid]++;
            ring.Cpu = random.Next(4);
            ring.Enter(100, tid, NR_read, ts++, [(ulong)n, 0x1000, 8], comm: "worker");
            ring.Cpu = random.Next(4);
            ring.Exit(100, tid, NR_read, 8, ts++);
        }

        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        var clock = BootClock.WithOffset(1_714_996_984_000_000_000);
        var lines = new List<string>();
        foreach (TraceEvent e in events)
        {
            var sb = new StringBuilder();
            DumpLine.Append(sb, snapshot.Buffer, e, clock);
            lines.Add(sb.ToString());
        }

        Assert.Equal(4, snapshot.WrappedSubRings);
        Assert.True(snapshot.Lost > 0);
        Assert.Equal(events.OrderBy(e => e.Timestamp).Select(e => e.Timestamp), events.Select(e => e.Timestamp));
        // From the complete point on every syscall entered is whole: its exit is held too. Only a
        // syscall of each thread that entered before the point may have lost its enter.
        TraceEvent[] complete = [.. events.Where(e => e.HasEnter && e.Timestamp >= snapshot.CompleteFrom)];
        Assert.NotEmpty(complete);
        Assert.All(complete, e => Assert.Equal(SyscallCompletion.Complete, e.Completion));
        Assert.InRange(events.Count(e => !e.HasEnter && e.Timestamp >= snapshot.CompleteFrom), 0, 2);
        foreach (uint tid in new uint[] { 101, 102 })
        {
            int[] numbers = [.. complete.Where(e => e.Tid == tid)
                .Select(e => (int)BinaryPrimitives.ReadUInt64LittleEndian(snapshot.Buffer[(e.EnterOffset + 56)..]))];
            Assert.Equal(Enumerable.Range(numbers[0], numbers.Length), numbers);
            Assert.Equal(next[tid] - 1, numbers[^1]);
        }
        Assert.Equal(events.Length, lines.Count);
        Assert.All(lines.Where((_, i) => events[i].HasEnter), l => Assert.Contains(" worker read(", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"worker read({next[101] - 1}, ", StringComparison.Ordinal) && l.Contains(" = 8", StringComparison.Ordinal));
    }
}
