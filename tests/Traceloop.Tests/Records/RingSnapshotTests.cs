using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Records;

public sealed class RingSnapshotTests
{
    private const int NR_read = 0;
    private const int NR_write = 1;
    private const int NR_getpid = 39;
    private const int NR_openat = 257;

    [Fact]
    public void EmptyRingHoldsNothingAndLostNothing()
    {
        var ring = new RingBuilder(64 * 1024);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Empty(snapshot.Records);
        Assert.Equal(0, snapshot.Lost);
        Assert.Equal(0UL, snapshot.Head);
        Assert.Equal(0UL, snapshot.RecordsReserved);
        Assert.Equal(64 * 1024, snapshot.RingSize);
        Assert.Equal(0.0, snapshot.Fill);
    }

    [Fact]
    public void AFewRecordsComeBackInReservationOrderWithTheirFields()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord open = ring.Enter(100, 101, NR_openat, 1_000, [unchecked((ulong)-100), 0x7ffc_0000_1000, 0, 0],
            comm: "cat", payloads: [PayloadSpec.String(1, "/etc/hostname")]);
        WrittenRecord ret = ring.Exit(100, 101, NR_openat, 3, 1_500);
        WrittenRecord gone = ring.ProcessExit(100, 101, 0, isLeader: false, 2_000, comm: "cat");

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Equal(
            [
                new RecordRef(0, 104 + 8 + 16, 0, 0, RecordKind.Enter),
                new RecordRef(128, 48, 128, 1, RecordKind.Exit),
                new RecordRef(176, 56, 176, 2, RecordKind.ProcessExit),
            ],
            snapshot.Records);
        Assert.Equal(0, snapshot.Lost);
        Assert.Equal(232UL, snapshot.Head);
        Assert.Equal(3UL, snapshot.RecordsReserved);
        Assert.Equal(232.0 / 65536, snapshot.Fill);

        tl_enter e = MemoryMarshal.Read<tl_enter>(snapshot.RecordBytes(snapshot.Records[0]));
        Assert.Equal((0UL ^ ring.Key, 0u, (ushort)128, RecordKind.Enter, RecordFlags.None, 1_000UL, 100u, 101u),
            (e.h.tag, e.h.seq, e.h.len, e.h.kind, e.h.flags, e.h.ts, e.h.pid, e.h.tid));
        Assert.Equal((uint)NR_openat, e.nr);
        Assert.Equal(1, e.npayloads);
        tl_exit x = MemoryMarshal.Read<tl_exit>(snapshot.RecordBytes(snapshot.Records[1]));
        Assert.Equal((3L, (uint)NR_openat, 1_500UL), (x.ret, x.nr, x.h.ts));
        tl_proc_exit p = MemoryMarshal.Read<tl_proc_exit>(snapshot.RecordBytes(snapshot.Records[2]));
        Assert.Equal((0, 0u, 2_000UL, 101u), (p.exit_code, p.is_leader, p.h.ts, p.h.tid));

        Assert.Equal([open.Position, ret.Position, gone.Position], snapshot.Records.Select(r => r.Position));
    }

    [Fact]
    public void TakingASnapshotLeavesTheRingAsItWas()
    {
        var ring = new RingBuilder(4096);
        for (int i = 0; i < 200; i++)
        {
            ring.Enter(1, 1, NR_getpid, (ulong)i);
            ring.Exit(1, 1, NR_getpid, 1, (ulong)i);
        }
        byte[] before = ring.Mapping.ToArray();

        using RingSnapshot first = ring.Snapshot();
        using RingSnapshot second = ring.Snapshot();

        Assert.Equal(before, ring.Mapping);
        Assert.Equal(first.Records, second.Records);
        Assert.Equal(first.Lost, second.Lost);
    }

    [Fact]
    public void AfterWrappingManyTimesTheNewestRecordsThatFitAreHeldWhole()
    {
        const int size = 64 * 1024;
        const int total = 10_000;
        var ring = new RingBuilder(size, key: 0x0123_4567_89ab_cdef);
        var random = new Random(20240501);
        for (int i = 0; i < total; i++)
        {
            uint tid = 1000 + (uint)random.Next(4);
            switch (random.Next(3))
            {
                case 0:
                    ring.Enter(1000, tid, NR_openat, (ulong)i, [(ulong)i, 2, 3, 4, 5, 6],
                        payloads: [PayloadSpec.String(1, new string('p', random.Next(0, 1000)))]);
                    break;
                case 1:
                    ring.Exit(1000, tid, NR_openat, i, (ulong)i);
                    break;
                default:
                    ring.ProcessExit(1000, tid, i << 8, isLeader: false, (ulong)i);
                    break;
            }
        }

        using RingSnapshot snapshot = ring.Snapshot();

        List<WrittenRecord> expected = ring.ExpectedHeld();
        Assert.True(ring.Head > 10UL * size, "the ring should have wrapped many times");
        AssertHolds(ring, snapshot, expected);
        // Exactly the newest records: a suffix of everything written, and the one before it no longer fits.
        Assert.Equal(ring.Written.TakeLast(expected.Count).Select(r => r.Position), snapshot.Records.Select(r => r.Position));
        WrittenRecord firstDropped = ring.Written[total - expected.Count - 1];
        Assert.True(firstDropped.Position < ring.Head - size);
        Assert.Equal(total - snapshot.Records.Count, snapshot.Lost);
        Assert.Equal((ulong)total, snapshot.RecordsReserved);
        Assert.Equal(1.0, snapshot.Fill);
    }

    [Fact]
    public void TheOldestRecordCutByTheOverwriteIsSkippedNotMisparsed()
    {
        const int size = 4096;
        var ring = new RingBuilder(size);
        // A record at position 0 whose tail survives past head - size.
        WrittenRecord cut = ring.Enter(7, 7, NR_openat, 1, [1, 2, 3, 4, 5, 6],
            payloads: [PayloadSpec.String(1, new string('x', 600))]);
        WrittenRecord after = ring.Exit(7, 7, NR_openat, -2, 2);
        while (ring.Head < (ulong)size + 200)
        {
            ring.Enter(8, 8, NR_getpid, 3);
        }
        Assert.InRange(ring.Head - size, cut.Position + 1, cut.Position + (ulong)cut.Length - 8);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Equal(after.Position, snapshot.Records[0].Position);
        Assert.Equal(RecordKind.Exit, snapshot.Records[0].Kind);
        AssertHolds(ring, snapshot, ring.ExpectedHeld());
        Assert.Equal(1, snapshot.Lost);
    }

    [Fact]
    public void ARecordStartingExactlyAtHeadMinusSizeIsHeld()
    {
        const int size = 4096;
        var ring = new RingBuilder(size);
        WrittenRecord oldest = ring.Exit(7, 7, NR_read, 5, 1);
        while (ring.Head < (ulong)size)
        {
            ring.AdvanceTo(0, pid: 8);
        }
        Assert.Equal((ulong)size, ring.Head);
        // The data area is exactly full: the first record was not touched yet.

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Equal(oldest.Position, snapshot.Records[0].Position);
        AssertHolds(ring, snapshot, ring.ExpectedHeld());
        Assert.Equal(0, snapshot.Lost);

        ring.Exit(9, 9, NR_read, 5, 2);
        using RingSnapshot next = ring.Snapshot();
        Assert.NotEqual(oldest.Position, next.Records[0].Position);
        Assert.Equal(1, next.Lost);
    }

    [Fact]
    public void ARecordRunningPastTheEndOfDataIntoTheOverhangParses()
    {
        const int size = 4096;
        var ring = new RingBuilder(size);
        ring.AdvanceTo(size - 40);
        string path = "/straddles/the/end/of/the/ring/" + new string('z', 60);
        WrittenRecord open = ring.Enter(42, 43, NR_openat, 5_000, [unchecked((ulong)-100), 0xdead_0000, 0x80000, 420],
            comm: "straddler", payloads: [PayloadSpec.String(1, path)]);
        WrittenRecord ret = ring.Exit(42, 43, NR_openat, 4, 5_100);
        Assert.Equal(size - 40, open.DataOffset);
        Assert.True(open.DataOffset + open.Length > size);
        Assert.Equal(open.DataOffset + open.Length - size, ret.DataOffset);

        using RingSnapshot snapshot = ring.Snapshot();

        RecordRef r = Assert.Single(snapshot.Records, r => r.Position == open.Position);
        Assert.Equal((size - 40, open.Length, RecordKind.Enter), (r.Offset, r.Length, r.Kind));
        AssertHolds(ring, snapshot, ring.ExpectedHeld());

        TraceEvent ev = Assert.Single(EventAssembler.Assemble(snapshot), e => e.Pid == 42);
        Assert.Equal(SyscallCompletion.Complete, ev.Completion);
        Assert.Equal(4, ev.Ret);
        Assert.Equal(0x80000UL, RecordView.Arg(snapshot.Buffer, ev, 2));
        Assert.Equal(420UL /* 0644 */, RecordView.Arg(snapshot.Buffer, ev, 3));
        Assert.Equal("straddler", RecordView.Comm(snapshot.Buffer, ev));
        Assert.True(RecordView.TryGetPayload(snapshot.Buffer, ev, 1, out Payload payload));
        Assert.Equal(path, Encoding.UTF8.GetString(payload.Data));
    }

    [Fact]
    public void AnUncommittedRecordInTheMiddleIsLostButTheRecordsAfterItAreNot()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord a = ring.Enter(1, 1, NR_read, 1, [3, 0x1000, 10]);
        WrittenRecord inFlight = ring.Enter(1, 2, NR_openat, 2, payloads: [PayloadSpec.String(1, "/slow")], commit: false);
        WrittenRecord c = ring.Exit(1, 1, NR_read, 10, 3);
        WrittenRecord d = ring.Enter(1, 1, NR_write, 4);

        using (RingSnapshot snapshot = ring.Snapshot())
        {
            Assert.Equal([a.Position, c.Position, d.Position], snapshot.Records.Select(r => r.Position));
            Assert.Equal([0UL, 2UL, 3UL], snapshot.Records.Select(r => r.Sequence));
            Assert.Equal(1, snapshot.Lost);
        }

        // The slow CPU finishes: the next snapshot has the same history plus the record.
        ring.Commit(inFlight);
        using RingSnapshot later = ring.Snapshot();
        Assert.Equal([a.Position, inFlight.Position, c.Position, d.Position], later.Records.Select(r => r.Position));
        Assert.Equal(0, later.Lost);
    }

    [Fact]
    public void AnUncommittedNewestRecordIsNotCountedAsLost()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, NR_read, 1);
        ring.Exit(1, 1, NR_read, 0, 2);
        ring.Enter(1, 1, NR_write, 3, commit: false);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Equal(2, snapshot.Records.Count);
        Assert.Equal(0, snapshot.Lost);
    }

    [Fact]
    public void AStaleTagFromThePreviousLapDoesNotCommitAnInFlightRecord()
    {
        const int size = 4096;
        var ring = new RingBuilder(size);
        ring.AdvanceTo(1000);
        WrittenRecord previousLap = ring.Exit(5, 5, NR_read, 77, 10);
        ring.AdvanceTo(1000);
        WrittenRecord inFlight = ring.Exit(5, 5, NR_read, 88, 20, commit: false);
        Assert.Equal(previousLap.DataOffset, inFlight.DataOffset);
        Assert.Equal(previousLap.Position + size, inFlight.Position);
        ring.Exit(6, 6, NR_read, 99, 30);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.DoesNotContain(snapshot.Records, r => r.Offset == inFlight.DataOffset);
        AssertHolds(ring, snapshot, ring.ExpectedHeld());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AHeaderForgedInsideAPayloadWithoutTheKeyIsIgnored(bool inFlight)
    {
        const int size = 4096;
        const ulong wrongKey = 0x1111_2222_3333_4444;
        var ring = new RingBuilder(size);
        (WrittenRecord carrier, ulong forgedAt) = WriteForgery(ring, wrongKey, inFlight);

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.DoesNotContain(snapshot.Records, r => r.Position == forgedAt);
        Assert.DoesNotContain(snapshot.Records, r => MemoryMarshal.Read<tl_rec>(snapshot.RecordBytes(r)).pid == 666);
        AssertHolds(ring, snapshot, ring.ExpectedHeld());
        Assert.False(carrier.Committed && carrier.Position >= ring.Head - size, "the carrier must be one the reader scans through");
    }

    [Fact]
    public void AHeaderForgedWithTheRingKeyWouldPass_SoTheScanReallyLooksThere()
    {
        // The control for the test above: the same bytes with the real key are taken for a
        // record, so it is the key alone that keeps a container from injecting records.
        var ring = new RingBuilder(4096);
        (_, ulong forgedAt) = WriteForgery(ring, ring.Key, inFlight: true);

        using RingSnapshot snapshot = ring.Snapshot();

        RecordRef forged = Assert.Single(snapshot.Records, r => r.Position == forgedAt);
        Assert.Equal(666u, MemoryMarshal.Read<tl_rec>(snapshot.RecordBytes(forged)).pid);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(3UL)]
    [InlineData(65535UL)]
    [InlineData(65536UL + 8)]
    [InlineData(128UL * 1024)] // a power of two, larger than the 64K the mapping holds
    [InlineData(1UL << 32)]
    [InlineData(1UL << 63)]
    [InlineData(ulong.MaxValue)]
    public void AHeaderWithABadSizeIsCorrupt(ulong size)
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Exit(1, 1, NR_read, 0, 1);
        ring.WriteHeader(size: size);

        Exception? e = Record.Exception(() => RingSnapshot.Take(ring.Mapping).Dispose());

        CorruptRingException corrupt = Assert.IsType<CorruptRingException>(e);
        Assert.Contains(size.ToString(System.Globalization.CultureInfo.InvariantCulture), corrupt.Message, StringComparison.Ordinal);
        Assert.Contains("power of two", corrupt.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(64 + 4096 - 1)]
    public void AMappingTooSmallForAHeaderAndOneRecordIsCorrupt(int length)
    {
        Exception? e = Record.Exception(() => RingSnapshot.Take(new byte[length]).Dispose());

        CorruptRingException corrupt = Assert.IsType<CorruptRingException>(e);
        Assert.Contains($"{length} bytes", corrupt.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASizeThatFitsTheMappingExactlyIsAccepted()
    {
        var ring = new RingBuilder(4096);
        ring.Exit(1, 1, NR_read, 0, 1);
        byte[] mapping = ring.Mapping;

        using RingSnapshot snapshot = RingSnapshot.Take(mapping.AsSpan(0, 64 + 64 + 4096 + 4096));

        Assert.Single(snapshot.Records);
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)8)]
    [InlineData((ushort)31)]
    [InlineData((ushort)49)]
    [InlineData((ushort)4104)]
    [InlineData((ushort)65528)]
    public void ACommittedRecordWithAnImpossibleLengthIsCorrupt(ushort len)
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Exit(1, 1, NR_read, 0, 1);
        WrittenRecord bad = ring.Exit(1, 1, NR_read, 0, 2);
        ring.Exit(1, 1, NR_read, 0, 3);
        ring.CorruptLength(bad, len);

        Exception? e = Record.Exception(() => ring.Snapshot().Dispose());

        CorruptRingException corrupt = Assert.IsType<CorruptRingException>(e);
        Assert.Contains($"position {bad.Position}", corrupt.Message, StringComparison.Ordinal);
        Assert.Contains($"{len} bytes", corrupt.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACommittedRecordRunningPastHeadIsCorrupt()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Exit(1, 1, NR_read, 0, 1);
        WrittenRecord last = ring.Exit(1, 1, NR_read, 0, 2);
        ring.CorruptLength(last, 56);

        Exception? e = Record.Exception(() => ring.Snapshot().Dispose());

        Assert.IsType<CorruptRingException>(e);
    }

    [Fact]
    public void CorruptBytesInsideACommittedRecordDoNotDerailTheWalk()
    {
        // Only the header of a record steers the walk; garbage in its body stays in its body.
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord open = ring.Enter(1, 1, NR_openat, 1, payloads: [PayloadSpec.String(1, "/a/b/c/d/e/f/g/h/i/j")]);
        WrittenRecord ret = ring.Exit(1, 1, NR_openat, 3, 2);
        ring.Corrupt(open, 40, Enumerable.Repeat((byte)0xff, open.Length - 40).ToArray());

        using RingSnapshot snapshot = ring.Snapshot();

        Assert.Equal([open.Position, ret.Position], snapshot.Records.Select(r => r.Position));
    }

    [Fact]
    public async Task AHeadNearTheEndOfTheCounterEndsTheWalk()
    {
        // A corrupt head close to 2^64 must not send the walk round the whole position space:
        // pos + sizeof(tl_rec) <= head overflows there and is always true.
        var ring = new RingBuilder(4096);
        ring.Exit(1, 1, NR_read, 0, 1);
        ring.WriteHeader(head: ulong.MaxValue - 7);

        Task<Exception?> walk = Task.Run<Exception?>(() => Record.Exception(() => ring.Snapshot().Dispose()));

        Exception? thrown = null;
        bool finished = true;
        try
        {
            thrown = await walk.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            finished = false;
        }
        Assert.True(finished, "RingSnapshot.Take did not return within 10 s for head = 2^64 - 8");
        Assert.True(thrown is null or CorruptRingException, $"threw {thrown?.GetType()}");
    }

    [Fact]
    public void RandomHistoriesMatchTheModel()
    {
        var random = new Random(7_040_2025);
        int[] sizes = [4096, 8192, 16384, 65536];
        for (int iteration = 0; iteration < 300; iteration++)
        {
            int size = sizes[random.Next(sizes.Length)];
            var ring = new RingBuilder(size, key: (ulong)random.NextInt64() | 1);
            var pending = new List<WrittenRecord>();
            int operations = random.Next(0, 2500);
            int[] snapshotsAt = [random.Next(operations + 1), random.Next(operations + 1), operations];
            for (int op = 0; op <= operations; op++)
            {
                if (snapshotsAt.Contains(op))
                {
                    using RingSnapshot snapshot = ring.Snapshot();
                    AssertHolds(ring, snapshot, ring.ExpectedHeld(), $"iteration {iteration}, operation {op}, size {size}");
                }
                if (op == operations)
                {
                    break;
                }
                bool commit = random.Next(40) != 0;
                uint tid = (uint)random.Next(1, 5);
                ulong ts = (ulong)op;
                WrittenRecord rec = random.Next(10) switch
                {
                    < 4 => ring.Enter(1, tid, random.Next(0, 460), ts, [(ulong)random.NextInt64(), 0, 0, 0, 0, (ulong)op],
                        payloads: random.Next(3) == 0 ? [] : [RandomPayload(random)], commit: commit),
                    < 9 => ring.Exit(1, tid, random.Next(0, 460), random.NextInt64(-4095, 1 << 20), ts, commit),
                    _ => ring.ProcessExit(1, tid, random.Next(), random.Next(2) == 0, ts, commit: commit),
                };
                if (!commit)
                {
                    pending.Add(rec);
                }
                if (pending.Count > 0 && random.Next(8) == 0)
                {
                    // A slow CPU commits. One that was lapped meanwhile never gets to (in the
                    // kernel it would scribble on newer records; that is not what is tested here).
                    WrittenRecord late = pending[random.Next(pending.Count)];
                    pending.Remove(late);
                    if (late.Position + (ulong)size >= ring.Head)
                    {
                        ring.Commit(late);
                    }
                }
            }
        }
    }

    private static PayloadSpec RandomPayload(Random random)
    {
        var data = new byte[random.Next(0, 1025)];
        random.NextBytes(data);
        return random.Next(2) == 0
            ? new PayloadSpec(PayloadKind.Bytes, (byte)random.Next(6), data)
            : new PayloadSpec(PayloadKind.String, 1, data.Select(b => (byte)(b | 1)).ToArray(),
                random.Next(4) == 0 ? PayloadFlags.Truncated : PayloadFlags.None);
    }

    /// <summary>
    /// Writes a record whose bytes payload holds a forged record header at an 8-aligned
    /// position, and leaves it where the reader scans it word by word: in flight, or cut by
    /// the overwrite. Returns the carrier and the position the forgery claims.
    /// </summary>
    private static (WrittenRecord Carrier, ulong ForgedAt) WriteForgery(RingBuilder ring, ulong key, bool inFlight)
    {
        const int payloadStart = RingBuilder.EnterSize + RingBuilder.PayloadHeaderSize;
        const int forgedOffset = 64; // into the payload
        ring.Exit(3, 3, NR_read, 0, 1);
        ulong carrierPos = ring.Head;
        ulong forgedAt = carrierPos + payloadStart + forgedOffset;
        var data = new byte[256];
        RingBuilder.ForgedHeader(forgedAt, key, len: 48, RecordKind.Exit, seq: 1).CopyTo(data, forgedOffset);
        WrittenRecord carrier = ring.Enter(3, 3, NR_write, 2, [1, 0x5000, 256],
            payloads: [PayloadSpec.Bytes(1, data)], commit: !inFlight);
        if (inFlight)
        {
            ring.Exit(3, 4, NR_read, 0, 3);
        }
        else
        {
            // Overwrite from the start of the ring up to just past the carrier's header.
            while (ring.Head < (ulong)ring.Size + carrierPos + 40)
            {
                ring.Exit(4, 4, NR_read, 0, 3);
            }
            Assert.True(ring.Head - (ulong)ring.Size < forgedAt);
        }
        return (carrier, forgedAt);
    }

    private static void AssertHolds(RingBuilder ring, RingSnapshot snapshot, List<WrittenRecord> expected, string context = "")
    {
        Assert.True(
            expected.Select(r => r.Position).SequenceEqual(snapshot.Records.Select(r => r.Position)),
            $"{context}: expected positions [{string.Join(",", expected.Select(r => r.Position))}], got [{string.Join(",", snapshot.Records.Select(r => r.Position))}]");
        for (int i = 0; i < expected.Count; i++)
        {
            WrittenRecord w = expected[i];
            RecordRef r = snapshot.Records[i];
            Assert.Equal(new RecordRef(w.DataOffset, w.Length, w.Position, w.Sequence, w.Kind), r);
            // Not torn: the body is the one written at this position.
            ReadOnlySpan<byte> bytes = snapshot.RecordBytes(r);
            Assert.Equal(w.Position ^ ring.Key, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            tl_rec h = MemoryMarshal.Read<tl_rec>(bytes);
            Assert.Equal((w.Timestamp, w.Pid, w.Tid, (uint)w.Sequence), (h.ts, h.pid, h.tid, h.seq));
            if (w.Kind != RecordKind.ProcessExit)
            {
                Assert.Equal(w.Nr, BinaryPrimitives.ReadInt32LittleEndian(bytes[32..]));
            }
        }
        Assert.Equal(ring.ExpectedLost(), snapshot.Lost);
        Assert.Equal(ring.Head, snapshot.Head);
        Assert.Equal(ring.RecordsReserved, snapshot.RecordsReserved);
    }
}
