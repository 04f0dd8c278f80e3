using System.Buffers;
using MessagePack;
using Traceloop.Api;
using Traceloop.Api.MessagePack;

namespace Traceloop.Tests.Api;

public sealed class MessagePackRoundTripTests
{
    [Fact]
    public void AFullDumpReadsBackFieldByField()
    {
        DumpHeader header = ApiSamples.FullHeader(ApiSamples.AllEvents().Length);
        byte[] dump = Dump(header, ApiSamples.AllEvents());

        (DumpHeader readHeader, List<TraceEventDto> readEvents) = TraceloopMessagePack.ReadDump(dump);

        ApiSamples.Equal(header, readHeader);
        TraceEventDto[] expected = ApiSamples.AllEvents();
        Assert.Equal(expected.Length, readEvents.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            ApiSamples.Equal(expected[i], readEvents[i]);
        }
        Assert.Equal([0x2f, 0x69, 0x00, 0xff, 0x0a], readEvents[0].Args![1].Payload);
        Assert.Empty(readEvents[0].Args![2].Payload!);
        Assert.Null(readEvents[0].Args![0].Payload);
    }

    [Fact]
    public void NullsStayNull()
    {
        DumpHeader header = ApiSamples.SparseHeader(1);
        byte[] dump = Dump(header, [ApiSamples.SparseEvent()]);

        (DumpHeader h, List<TraceEventDto> events) = TraceloopMessagePack.ReadDump(dump);

        ApiSamples.Equal(header, h);
        Assert.Null(h.Node);
        Assert.Null(h.WindowStart);
        Assert.Null(h.Container.PodUid);
        Assert.Null(h.Container.MainPid);
        Assert.Null(h.Container.ExitedAt);
        TraceEventDto e = Assert.Single(events);
        ApiSamples.Equal(ApiSamples.SparseEvent(), e);
        Assert.Null(e.Args);
        Assert.Null(e.Ret);
        Assert.Null(e.ProcessEnded);
    }

    [Fact]
    public void AnEmptyDumpIsJustAHeader()
    {
        (DumpHeader h, List<TraceEventDto> events) = TraceloopMessagePack.ReadDump(Dump(ApiSamples.SparseHeader(0), []));

        Assert.Equal(0, h.Events);
        Assert.Empty(events);
    }

    [Fact]
    public void ADumpSplitIntoOneByteSegmentsReadsTheSame()
    {
        byte[] dump = Dump(ApiSamples.FullHeader(1), [ApiSamples.OpenatEvent()]);

        (DumpHeader h, List<TraceEventDto> events) = TraceloopMessagePack.ReadDump(OneByteSegments(dump));

        ApiSamples.Equal(ApiSamples.FullHeader(1), h);
        ApiSamples.Equal(ApiSamples.OpenatEvent(), Assert.Single(events));
    }

    [Fact]
    public void TimesOutsideTheNanosecondRangeAreNotSilentlyChanged()
    {
        // Times travel as int64 ns since 1970, which spans 1677..2262. A time outside it
        // (default(DateTimeOffset) from a forgotten initializer) must fail loudly or survive.
        var header = new DumpHeader
        {
            Container = new ContainerInfo { Id = "a", CgroupPath = "/a" },
            TakenAt = ApiSamples.T0,
            TraceloopVersion = "0.1.0",
        };

        Exception? writeError = Record.Exception(() => Dump(header, []));
        if (writeError is null)
        {
            (DumpHeader h, _) = TraceloopMessagePack.ReadDump(Dump(header, []));
            Assert.Equal(default(DateTimeOffset).UtcTicks, h.Container.FirstSeen.UtcTicks);
        }
    }

    [Fact]
    public void EveryTruncationIsASerializationException()
    {
        byte[] dump = Dump(ApiSamples.FullHeader(2), [ApiSamples.OpenatEvent(), ApiSamples.ProcessExitEvent()]);
        var wrong = new List<string>();

        for (int length = 0; length < dump.Length; length++)
        {
            Exception? e = Read(dump.AsSpan(0, length).ToArray());
            if (e is not MessagePackSerializationException)
            {
                wrong.Add($"{length}: {e?.GetType().Name ?? "no exception"}");
            }
        }

        Assert.True(wrong.Count == 0, $"cut after n of {dump.Length} bytes gave: {string.Join(", ", wrong.Take(12))}{(wrong.Count > 12 ? $" and {wrong.Count - 12} more" : "")}");
    }

    [Fact]
    public void ADumpCutBetweenEventsSaysItIsTruncated()
    {
        byte[] full = Dump(ApiSamples.SparseHeader(2), [ApiSamples.SparseEvent(), ApiSamples.SparseEvent()]);
        byte[] oneEvent = Dump(ApiSamples.SparseHeader(2), [ApiSamples.SparseEvent()]);
        Assert.Equal(full.AsSpan(0, oneEvent.Length).ToArray(), oneEvent);

        var e = Assert.IsType<MessagePackSerializationException>(Read(oneEvent));

        Assert.Contains("truncated: 1 of 2 events", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MoreEventsThanAnnouncedIsRefused()
    {
        byte[] dump = Dump(ApiSamples.SparseHeader(1), [ApiSamples.SparseEvent(), ApiSamples.SparseEvent()]);

        var e = Assert.IsType<MessagePackSerializationException>(Read(dump));

        Assert.Contains("more events than the 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(TraceloopMessagePack.MaxEvents + 1)]
    [InlineData(int.MaxValue)]
    public void AnImpossibleEventCountIsRefused(int events)
    {
        var e = Assert.IsType<MessagePackSerializationException>(Read(Dump(ApiSamples.SparseHeader(events), [])));

        Assert.Contains($"announces {events} events", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void AnUnknownFormatVersionIsRefused(int version)
    {
        var header = new DumpHeader
        {
            FormatVersion = version,
            Container = ApiSamples.SparseContainer(),
            TakenAt = ApiSamples.T0,
            TraceloopVersion = "9.9.9",
        };

        var e = Assert.IsType<MessagePackSerializationException>(Read(Dump(header, [])));

        Assert.Contains($"dump format version {version}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANilHeaderIsRefused()
    {
        var e = Assert.IsType<MessagePackSerializationException>(Read([0xc0]));

        Assert.Contains("nil instead of a header", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AHeaderWithoutAContainerIsRefused()
    {
        byte[] dump = Dump(ApiSamples.SparseHeader(0), []);
        int containerLength = Bytes((ref MessagePackWriter w) => ContainerInfoFormatter.Write(ref w, ApiSamples.SparseContainer())).Length;
        byte[] nilContainer = [.. dump.AsSpan(0, 2), 0xc0, .. dump.AsSpan(2 + containerLength)];

        var e = Assert.IsType<MessagePackSerializationException>(Read(nilContainer));

        Assert.Contains("names no container", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANilEventIsRefused()
    {
        byte[] dump = [.. Dump(ApiSamples.SparseHeader(1), []), 0xc0];

        var e = Assert.IsType<MessagePackSerializationException>(Read(dump));

        Assert.Contains("nil where an event was expected", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x91, 0xce, 0xff, 0xff, 0xff, 0xff })]                   // version 2^32 - 1: too big for an int
    [InlineData(new byte[] { 0xdd, 0xff, 0xff, 0xff, 0xff })]                          // an array of 4 billion fields
    [InlineData(new byte[] { 0xdc, 0x01, 0x00 })]                                      // 256 fields and no data
    [InlineData(new byte[] { 0x92, 0x01, 0xa3, 0x61 })]                                // a string cut short
    [InlineData(new byte[] { 0x91, 0xa1, 0x31 })]                                      // a string where the version goes
    [InlineData(new byte[] { 0x82, 0x00, 0x01, 0x01, 0x02 })]                          // a map instead of an array
    [InlineData(new byte[] { 0xc1 })]                                                  // the never-used code
    [InlineData(new byte[] { 0xd4, 0x01, 0x02 })]                                      // an extension
    [InlineData(new byte[] { 0xdd, 0x00, 0x00, 0x01, 0x01 })]                          // 257 fields: over the bound
    public void GarbageIsASerializationException(byte[] data)
    {
        Exception? e = Read(data);

        Assert.IsType<MessagePackSerializationException>(e);
    }

    [Fact]
    public void RandomBytesAndMutatedDumpsNeverThrowAnythingElse()
    {
        var random = new Random(1234);
        byte[] valid = Dump(ApiSamples.FullHeader(3), [ApiSamples.OpenatEvent(), ApiSamples.ProcessExitEvent(), ApiSamples.SparseEvent()]);
        var wrong = new SortedDictionary<string, (int Count, string? Where)>(StringComparer.Ordinal);

        for (int i = 0; i < 4000; i++)
        {
            byte[] data;
            if (i % 2 == 0)
            {
                data = new byte[random.Next(0, 64)];
                random.NextBytes(data);
            }
            else
            {
                data = valid.ToArray();
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    data[random.Next(data.Length)] = (byte)random.Next(256);
                }
            }
            Exception? e = Read(data);
            if (e is not null and not MessagePackSerializationException)
            {
                string key = e.GetType().Name;
                (int count, string? where) = wrong.GetValueOrDefault(key);
                where ??= e.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Traceloop.Api", StringComparison.Ordinal));
                wrong[key] = (count + 1, where);
            }
        }

        Assert.True(wrong.Count == 0, "other exception types: " + string.Join("; ", wrong.Select(kv => $"{kv.Key} x{kv.Value.Count}, first {kv.Value.Where}")));
    }

    [Fact]
    public void AStringClaimingMoreThanTwoGigabytesIsASerializationException()
    {
        byte[] header = Dump(ApiSamples.SparseHeader(1), []);
        byte[] evt = [0x95, 0x00, 0x00, 0x00, 0x00, 0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61];

        Assert.IsType<MessagePackSerializationException>(Read([.. header, .. evt]));
    }

    [Fact]
    public void FieldsAddedByANewerWriterAreSkipped()
    {
        // Header of 15 fields (12 known) holding a container of 28 (25 known), then an event of 24 fields
        // (21 known) whose argument has 8 (5 known): each with three values a future version
        // might add, one deeply nested.
        byte[] container = Bytes((ref MessagePackWriter w) => ContainerInfoFormatter.Write(ref w, ApiSamples.FullContainer()));
        byte[] header = Dump(ApiSamples.FullHeader(1), []);
        Assert.Equal(0x9c, header[0]);
        Assert.Equal([0xdc, 0x00, 25], header.AsSpan(2, 3).ToArray());
        Assert.Equal(container, header.AsSpan(2, container.Length).ToArray());
        byte[] extras = Bytes(WriteExtras);
        byte[] futureHeader =
        [
            0x9f, header[1],
            0xdc, 0x00, 28, .. container.AsSpan(3), .. extras,
            .. header.AsSpan(2 + container.Length), .. extras,
        ];
        byte[] futureEvent = Bytes((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(24);
            w.Write(0);                  // kind
            w.Write(1_000L);             // timestamp
            w.Write(7);                  // pid
            w.Write(8);                  // tid
            w.Write("cat");
            w.Write(257);
            w.Write("openat");
            w.WriteArrayHeader(1);
            w.WriteArrayHeader(8);
            w.Write("filename");
            w.Write(0x1000UL);
            w.Write("\"/x\"");
            w.Write(new byte[] { 0x2f, 0x78 });
            w.Write(true);
            WriteExtras(ref w);
            w.Write(-2L);                // ret
            w.Write("ENOENT");
            w.Write("No such file or directory");
            w.Write(12L);                // duration
            w.Write(0);                  // completion
            w.WriteNil();                // exit status
            w.WriteNil();                // process ended
            w.Write("openat(...)");
            w.Write(77L);                // seq
            w.Write("app");              // container
            w.WriteNil();                // tcp
            w.WriteNil();                // http
            w.WriteNil();                // tls
            WriteExtras(ref w);
        });

        (DumpHeader h, List<TraceEventDto> events) = TraceloopMessagePack.ReadDump([.. futureHeader, .. futureEvent]);

        ApiSamples.Equal(ApiSamples.FullHeader(1), h);
        TraceEventDto e = Assert.Single(events);
        Assert.Equal((TraceEventKind.Syscall, 1_000L, 7, 8, "cat", 257, "openat"), (e.Kind, e.TimestampNs, e.Pid, e.Tid, e.Comm, e.Nr, e.Name));
        SyscallArg arg = Assert.Single(e.Args!);
        Assert.Equal(("filename", 0x1000UL, "\"/x\"", true), (arg.Name, arg.Raw, arg.Text, arg.Truncated));
        Assert.Equal([0x2f, 0x78], arg.Payload);
        Assert.Equal((-2L, "ENOENT", "No such file or directory", 12L, SyscallCompletion.Complete), (e.Ret, e.Errno, e.ErrnoMessage, e.DurationNs, e.Completion));
        Assert.Null(e.ExitStatus);
        Assert.Null(e.ProcessEnded);
        Assert.Equal("openat(...)", e.Text);
        Assert.Equal((77L, "app"), (e.Seq, e.Container));
    }

    [Fact]
    public void AnOlderWritersShorterArraysReadWithDefaults()
    {
        byte[] header = Bytes((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            w.Write(1);
            w.WriteArrayHeader(1);
            w.Write("abc");
        });
        byte[] evt = Bytes((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write(1);
            w.Write(99L);
            w.Write(5);
        });
        // Events = 0 in a 2-field header: a dump with an event is then one too many.
        Assert.IsType<MessagePackSerializationException>(Read([.. header, .. evt]));

        (DumpHeader h, List<TraceEventDto> events) = TraceloopMessagePack.ReadDump(header);

        Assert.Equal(1, h.FormatVersion);
        Assert.Equal("abc", h.Container.Id);
        Assert.Equal("", h.Container.CgroupPath);
        Assert.Equal("", h.TraceloopVersion);
        Assert.Empty(events);
        var reader = new MessagePackReader(evt);
        TraceEventDto? e = TraceEventFormatter.Read(ref reader);
        Assert.Equal((TraceEventKind.ProcessExit, 99L, 5, 0, (string?)null), (e!.Kind, e.TimestampNs, e.Pid, e.Tid, e.Comm));
    }

    [Fact]
    public void AnUnknownFieldNestedAMillionDeepIsSkippedWithoutOverflowingTheStack()
    {
        // A header with a 13th field (one a newer writer might add) nested a million arrays deep.
        DumpHeader sample = ApiSamples.FullHeader(0);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(13);
        w.Write(sample.FormatVersion);
        ContainerInfoFormatter.Write(ref w, sample.Container);
        w.Write(0L);
        w.WriteNil();
        w.WriteNil();
        w.Write(0);
        w.Write(0L);
        w.Write("v");
        w.WriteNil();
        w.WriteNil();
        w.WriteNil();
        w.WriteNil();
        for (int i = 0; i < 1_000_000; i++)
        {
            w.WriteArrayHeader(1);
        }
        w.WriteNil();
        w.Flush();

        (DumpHeader header, List<TraceEventDto> events) = TraceloopMessagePack.ReadDump(buffer.WrittenMemory.ToArray());

        Assert.Equal(sample.Container.Id, header.Container.Id);
        Assert.Equal("v", header.TraceloopVersion);
        Assert.Empty(events);
    }

    private static void WriteExtras(ref MessagePackWriter w)
    {
        w.Write(42);
        w.WriteMapHeader(1);
        w.Write("future");
        w.WriteArrayHeader(2);
        w.Write(1.5);
        w.WriteNil();
        for (int i = 0; i < 5000; i++)
        {
            w.WriteArrayHeader(1);
        }
        w.Write("deep");
    }

    private delegate void WriteAction(ref MessagePackWriter writer);

    private static byte[] Bytes(WriteAction write)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        write(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Dump(DumpHeader header, TraceEventDto[] events)
    {
        var output = new ArrayBufferWriter<byte>();
        TraceloopMessagePack.WriteHeader(output, header);
        foreach (TraceEventDto e in events)
        {
            TraceloopMessagePack.WriteEvent(output, e);
        }
        return output.WrittenSpan.ToArray();
    }

    private static Exception? Read(byte[] data) => Record.Exception(() => TraceloopMessagePack.ReadDump(data));

    private static ReadOnlySequence<byte> OneByteSegments(byte[] data)
    {
        var first = new Segment(data.AsMemory(0, 1), 0);
        Segment last = first;
        for (int i = 1; i < data.Length; i++)
        {
            last = last.Append(data.AsMemory(i, 1));
        }
        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
