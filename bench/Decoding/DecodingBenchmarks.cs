using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Traceloop.Api;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Bench.Decoding;

/// <summary>
/// Decoding a full ring's worth of syscalls, as a dump does: the snapshot is taken once; each
/// benchmark turns its events into text lines or JSON lines. A mix like a container's: openat
/// with a path, read with its bytes, getppid, close; enter and exit records paired.
/// </summary>
[MemoryDiagnoser]
public class DecodingBenchmarks
{
    private const int Syscalls = 4_000; // 8,000 records: about a full 1 MiB ring
    private RingSnapshot _snapshot = null!;
    private TraceEvent[] _events = [];
    private readonly StringBuilder _text = new(1 << 20);
    private readonly ArrayBufferWriter<byte> _json = new(1 << 22);
    private BootClock _clock;

    /// <summary>Records in one run (enter and exit of each syscall).</summary>
    public int Records => Syscalls * 2;

    [GlobalSetup]
    public void Setup()
    {
        var ring = new RingBuilder(1 << 20);
        SyscallTable.TryGetNumber("openat", out int openat);
        SyscallTable.TryGetNumber("read", out int read);
        SyscallTable.TryGetNumber("getppid", out int getppid);
        SyscallTable.TryGetNumber("close", out int close);
        ulong ts = 1_000_000;
        for (int i = 0; i < Syscalls; i++)
        {
            uint tid = 100 + (uint)(i % 3);
            switch (i % 4)
            {
                case 0:
                    ring.Enter(100, tid, openat, ts, [unchecked((ulong)-100), 0x7ffd0000, 0x80000, 0, 0, 0], "app",
                        [PayloadSpec.String(1, "/etc/app/config.yaml")]);
                    ring.Exit(100, tid, openat, 3, ts + 900);
                    break;
                case 1:
                    ring.Enter(100, tid, read, ts, [3, 0x7ffd1000, 4096, 0, 0, 0], "app");
                    ring.Exit(100, tid, read, 42, ts + 700);
                    break;
                case 2:
                    ring.Enter(100, tid, getppid, ts, [0, 0, 0, 0, 0, 0], "app");
                    ring.Exit(100, tid, getppid, 1, ts + 200);
                    break;
                default:
                    ring.Enter(100, tid, close, ts, [3, 0, 0, 0, 0, 0], "app");
                    ring.Exit(100, tid, close, -9, ts + 300);
                    break;
            }
            ts += 1_000;
        }
        _snapshot = ring.Snapshot();
        _events = EventAssembler.Assemble(_snapshot);
        _clock = BootClock.WithOffset(1_700_000_000_000_000_000);
    }

    /// <summary>Pairing the records of a snapshot into events.</summary>
    [Benchmark]
    public int Assemble() => EventAssembler.Assemble(_snapshot).Length;

    /// <summary>strace-like text lines into a reused builder: the text path allocates nothing per line.</summary>
    [Benchmark]
    public int Text()
    {
        _text.Clear();
        foreach (ref readonly TraceEvent e in _events.AsSpan())
        {
            DumpLine.Append(_text, _snapshot.Buffer, e, _clock);
        }
        return _text.Length;
    }

    /// <summary>JSON lines through the API's event type, as ?format=json writes them.</summary>
    [Benchmark]
    public int Json()
    {
        _json.ResetWrittenCount();
        var scratch = new StringBuilder();
        using var writer = new Utf8JsonWriter(_json, new JsonWriterOptions { Encoder = TraceloopJson.Options.Encoder });
        foreach (ref readonly TraceEvent e in _events.AsSpan())
        {
            JsonSerializer.Serialize(writer, EventDtoFactory.Create(_snapshot.Buffer, e, _clock, scratch), TraceloopJson.Context.TraceEventDto);
            writer.Flush();
            writer.Reset();
        }
        return _json.WrittenCount;
    }
}
