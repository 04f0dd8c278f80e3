using System.Buffers;
using System.Text;
using Traceloop.Api;
using Traceloop.Api.MessagePack;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Dumps;

/// <summary>A saved dump's text prints the same lines as the live dump it was saved from.</summary>
public sealed class DumpLineTests
{
    private const ulong BootNs = 5_000_000_000;
    private static readonly BootClock Clock = BootClock.WithOffset(1_714_996_984_123_456_000 - (long)BootNs);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ASavedDumpsTextLinesEqualTheLiveLines()
    {
        Assert.True(SyscallTable.TryGetNumber("openat", out int openat));
        Assert.True(SyscallTable.TryGetNumber("read", out int read));
        Assert.True(SyscallTable.TryGetNumber("getppid", out int getppid));
        var ring = new RingBuilder(1 << 16);
        ring.Enter(100, 100, openat, BootNs, [unchecked((ulong)-100), 0x7ffd0000, 0x80000, 0, 0, 0], "app",
            [PayloadSpec.String(1, "/etc/app/config.yaml")]);
        ring.Exit(100, 100, openat, -2, BootNs + 900);
        ring.Enter(100, 101, read, BootNs + 2_000, [3, 0x7ffd1000, 4096, 0, 0, 0], "worker");
        ring.Exit(100, 101, read, 5, BootNs + 2_700, payloads: [PayloadSpec.Bytes(1, "hello"u8.ToArray())]);
        ring.Enter(100, 100, getppid, BootNs + 3_000, [0, 0, 0, 0, 0, 0], "caf\u00e9");
        // An exit whose enter was overwritten: no command name.
        ring.Exit(100, 102, getppid, 1, BootNs + 4_000);
        ring.Enter(100, 100, getppid, BootNs + 5_000, [0, 0, 0, 0, 0, 0], "\u001b]0;pwned\u0007");
        ring.Exit(100, 100, getppid, 1, BootNs + 5_200);
        ring.ProcessExit(100, 100, 256, true, BootNs + 6_000, "app");

        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        var live = new List<string>();
        var saved = new List<TraceEventDto>();
        var scratch = new StringBuilder();
        foreach (TraceEvent e in events)
        {
            var sb = new StringBuilder();
            DumpLine.Append(sb, snapshot.Buffer, e, Clock);
            live.Add(sb.ToString());
            saved.Add(EventDtoFactory.Create(snapshot.Buffer, e, Clock, scratch));
        }

        string text = await WriteSavedTextAsync(saved);

        string[] lines = [.. text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l + "\n")];
        Assert.Equal(live, lines);
        Assert.Equal(6, lines.Length);
        Assert.Contains(" 100 app openat(AT_FDCWD, \"/etc/app/config.yaml\", O_RDONLY|O_CLOEXEC) = -1 ENOENT", lines[0], StringComparison.Ordinal);
        Assert.Contains(" 100/101 worker read(3, \"hello\", 4096) = 5", lines[1], StringComparison.Ordinal);
        Assert.Contains(" 100 caf?? getppid(", lines[2], StringComparison.Ordinal);
        Assert.Contains(" 100/102 ? <... getppid resumed>", lines[3], StringComparison.Ordinal);
        Assert.Contains(" 100 ?]0;pwned? getppid(", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACommandNameWithAnEscapeByteIsEscapedInASavedDump()
    {
        var e = new TraceEventDto
        {
            Kind = TraceEventKind.Syscall,
            TimestampNs = 1_714_996_984_123_456_000,
            Pid = 42,
            Tid = 42,
            Comm = "\u001b]0;pwned\u0007",
            Nr = 110,
            Name = "getppid",
            Text = "getppid() = 1 <0.000001>",
        };

        string text = await WriteSavedTextAsync([e]);

        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0007', text);
        Assert.Contains("12:03:04.123456 42 ?]0;pwned? getppid() = 1 <0.000001>\n", text, StringComparison.Ordinal);
    }

    /// <summary>The events as a saved dump holds them (MessagePack on disk), then served as text.</summary>
    private static async Task<string> WriteSavedTextAsync(IReadOnlyList<TraceEventDto> events)
    {
        var header = new DumpHeader
        {
            Container = new ContainerInfo { Id = new string('a', 64), CgroupPath = "/test", FirstSeen = DateTimeOffset.UnixEpoch },
            TakenAt = DateTimeOffset.UnixEpoch,
            Events = events.Count,
            TraceloopVersion = "test",
        };
        var file = new ArrayBufferWriter<byte>();
        TraceloopMessagePack.WriteHeader(file, header);
        foreach (TraceEventDto e in events)
        {
            TraceloopMessagePack.WriteEvent(file, e);
        }
        (DumpHeader readHeader, List<TraceEventDto> readEvents) = TraceloopMessagePack.ReadDump(file.WrittenSpan.ToArray());

        using var output = new MemoryStream();
        await DumpWriter.WriteSavedAsync(output, readHeader, readEvents, DumpFormat.Text, CancellationToken.None).WaitAsync(Timeout);
        return Encoding.UTF8.GetString(output.ToArray());
    }
}
