using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Bench.Decoding;

/// <summary>
/// What --redact adds to a text dump of a full 1 MiB ring whose syscalls carry data: every other
/// one a write of 64 bytes (a quarter of them holding a token that matches), the others an
/// openat of a path; two patterns, run by the regex interpreter as in the Native AOT recorder.
/// </summary>
[MemoryDiagnoser]
public class RedactionBenchmarks
{
    public static readonly string[] Patterns = [@"password=\S+", @"eyJ[A-Za-z0-9_-]{10,}"];

    private RingSnapshot _snapshot = null!;
    private TraceEvent[] _events = [];
    private readonly StringBuilder _text = new(1 << 21);
    private BootClock _clock;
    private Redactor _redactor = null!;

    public int Events => _events.Length;

    [GlobalSetup]
    public void Setup()
    {
        var ring = new RingBuilder(1 << 20);
        SyscallTable.TryGetNumber("openat", out int openat);
        SyscallTable.TryGetNumber("write", out int write);
        ulong ts = 1_000_000;
        // About 1 MiB: a write is 176 + 48 bytes of records, an openat 136 + 48.
        for (int i = 0; ring.Head + 512 < 1 << 20; i++)
        {
            uint tid = 100 + (uint)(i % 3);
            if (i % 2 == 0)
            {
                string line = i % 8 == 0
                    ? $"GET /api?password=hunter{i:D6} HTTP/1.1 eyJhbGciOiJIUzI1NiJ9x\n"
                    : $"GET /static/app-{i:D8}.js HTTP/1.1 Host: example.org\n";
                byte[] data = Encoding.ASCII.GetBytes(line.PadRight(64, ' ')[..64]);
                ring.Enter(100, tid, write, ts, [5, 0x7ffd0000, 64, 0, 0, 0], "app", [PayloadSpec.Bytes(1, data)]);
                ring.Exit(100, tid, write, 64, ts + 900);
            }
            else
            {
                ring.Enter(100, tid, openat, ts, [unchecked((ulong)-100), 0x7ffd0000, 0x80000, 0, 0, 0], "app",
                    [PayloadSpec.String(1, $"/srv/app/static/{i:D8}.js")]);
                ring.Exit(100, tid, openat, 3, ts + 700);
            }
            ts += 1_000;
        }
        _snapshot = ring.Snapshot();
        _events = EventAssembler.Assemble(_snapshot);
        _clock = BootClock.WithOffset(1_700_000_000_000_000_000);
        _redactor = new Redactor(Patterns, NullLogger<Redactor>.Instance);
    }

    /// <summary>The text dump as it is without patterns.</summary>
    [Benchmark(Baseline = true)]
    public int Text() => Render(_snapshot.Buffer, _events);

    /// <summary>Redacting the records (a copy of the events, as each dump has its own), then the same text.</summary>
    [Benchmark]
    public int RedactedText()
    {
        TraceEvent[] events = (TraceEvent[])_events.Clone();
        byte[] buffer = RedactedRecords.Rewrite(_redactor, _snapshot.Buffer, events, _redactor.Begin());
        return Render(buffer, events);
    }

    private int Render(ReadOnlySpan<byte> buffer, TraceEvent[] events)
    {
        _text.Clear();
        foreach (ref readonly TraceEvent e in events.AsSpan())
        {
            DumpLine.Append(_text, buffer, e, _clock);
        }
        // The text goes out as UTF-8, as DumpWriter sends it.
        return Encoding.UTF8.GetByteCount(_text.ToString());
    }

    /// <summary>
    /// <c>dotnet run -c Release --project bench/Decoding -- --quick-redaction</c>: each row 30 times
    /// after a warm-up, with a Stopwatch; prints the medians. Minutes quicker than BenchmarkDotNet.
    /// </summary>
    public static void Quick()
    {
        var bench = new RedactionBenchmarks();
        bench.Setup();
        Console.WriteLine($"{bench.Events} events, {bench._snapshot.RingSize / 1024} KiB ring, patterns: {string.Join("  ", Patterns)}");
        foreach ((string name, Func<int> row) in new (string, Func<int>)[] { ("text, no patterns", bench.Text), ("redact + text, 2 patterns", bench.RedactedText) })
        {
            for (int i = 0; i < 5; i++)
            {
                row();
            }
            var times = new List<double>();
            int bytes = 0;
            for (int i = 0; i < 30; i++)
            {
                var clock = Stopwatch.StartNew();
                bytes = row();
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-28} median {times[15],7:0.00} ms  min {times[0],7:0.00} ms  max {times[^1],7:0.00} ms  ({bytes / 1024} KiB of text)"));
        }
    }
}
