using System.Text.Encodings.Web;
using System.Text.Json;
using Traceloop.Api;

namespace Traceloop.Cli.Common.Export;

/// <summary>
/// Writes dumps as a Chrome trace-event JSON object (<c>{"traceEvents":[...]}</c>), which
/// ui.perfetto.dev and chrome://tracing open as a timeline: a process per host pid named after
/// its container, a track per thread named by its comm, each syscall a complete ("X") slice
/// with its decoded arguments, signals and exits as instants, each dump's trigger as a global
/// instant. It is written as it goes with <see cref="Utf8JsonWriter"/>: a full ring is ~14k events.
/// </summary>
/// <remarks>
/// Times are microseconds (the format's unit) from the oldest event, with the nanoseconds kept
/// as three decimals; <c>otherData.startTime</c> says what that origin is in wall-clock time.
/// Absolute epoch microseconds would not survive the double that trace viewers parse them into.
/// </remarks>
public static class PerfettoTraceWriter
{
    private const int FlushThreshold = 64 * 1024;

    public static void Write(Stream output, DumpHeader header, IReadOnlyList<TraceEventDto> events) =>
        Write(output, [(header, events)]);

    public static void Write(Stream output, IReadOnlyList<(DumpHeader Header, List<TraceEventDto> Events)> dumps) =>
        Write(output, [.. dumps.Select(d => (d.Header, (IReadOnlyList<TraceEventDto>)d.Events))]);

    public static void Write(Stream output, IReadOnlyList<(DumpHeader Header, IReadOnlyList<TraceEventDto> Events)> dumps)
    {
        // Stable by time, so a thread's events stay in ring order when two share a timestamp.
        (int Dump, TraceEventDto Event)[] timeline = [.. dumps
            .SelectMany((d, i) => d.Events.Select(e => (Dump: i, Event: e)))
            .OrderBy(x => x.Event.TimestampNs)];
        long origin = Origin(dumps, timeline);
        long[] sliceEnds = SliceEnds(dumps, timeline);

        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false });
        writer.WriteStartObject();
        writer.WriteStartArray("traceEvents");
        WriteNames(writer, dumps, timeline);
        for (int i = 0; i < timeline.Length; i++)
        {
            (int dump, TraceEventDto e) = timeline[i];
            WriteEvent(writer, e, dumps[dump].Header, origin, sliceEnds[i]);
            if (writer.BytesPending > FlushThreshold)
            {
                writer.Flush();
            }
        }
        foreach ((DumpHeader header, _) in dumps)
        {
            WriteTrigger(writer, header, origin);
            WriteLoss(writer, header, origin);
        }
        writer.WriteEndArray();
        writer.WriteString("displayTimeUnit", "ns");
        WriteOtherData(writer, dumps, origin);
        writer.WriteEndObject();
        writer.Flush();
    }

    private static long Origin(IReadOnlyList<(DumpHeader Header, IReadOnlyList<TraceEventDto> Events)> dumps, (int, TraceEventDto Event)[] timeline)
    {
        long origin = timeline.Length > 0 ? timeline[0].Event.TimestampNs : long.MaxValue;
        foreach ((DumpHeader header, _) in dumps)
        {
            origin = Math.Min(origin, Nanoseconds(header.WindowStart ?? header.TakenAt));
        }
        return origin == long.MaxValue ? 0 : origin;
    }

    /// <summary>
    /// Where each syscall's slice ends, in ns. Slices of one thread must not overlap partially
    /// (viewers nest them), so a slice is cut at its thread's next event: that happens when an
    /// exit was lost and the pairing could not tell. An unfinished call runs to the snapshot.
    /// </summary>
    private static long[] SliceEnds(IReadOnlyList<(DumpHeader Header, IReadOnlyList<TraceEventDto> Events)> dumps, (int Dump, TraceEventDto Event)[] timeline)
    {
        var ends = new long[timeline.Length];
        var nextStart = new Dictionary<(int Pid, int Tid), long>();
        for (int i = timeline.Length - 1; i >= 0; i--)
        {
            (int dump, TraceEventDto e) = timeline[i];
            long end = e.Completion switch
            {
                SyscallCompletion.Complete => e.TimestampNs + Math.Max(0, e.DurationNs ?? 0),
                SyscallCompletion.Unfinished => Math.Max(e.TimestampNs, Nanoseconds(dumps[dump].Header.WindowEnd ?? dumps[dump].Header.TakenAt)),
                _ => e.TimestampNs,
            };
            if (nextStart.TryGetValue((e.Pid, e.Tid), out long next))
            {
                end = Math.Min(end, next);
            }
            ends[i] = Math.Max(end, e.TimestampNs);
            nextStart[(e.Pid, e.Tid)] = e.TimestampNs;
        }
        return ends;
    }

    /// <summary>process_name per pid (its leader's comm and the container) and thread_name per thread (its latest comm).</summary>
    private static void WriteNames(Utf8JsonWriter writer, IReadOnlyList<(DumpHeader Header, IReadOnlyList<TraceEventDto> Events)> dumps, (int Dump, TraceEventDto Event)[] timeline)
    {
        var processes = new Dictionary<int, (string? Comm, int Dump)>();
        var threads = new Dictionary<(int Pid, int Tid), string?>();
        foreach ((int dump, TraceEventDto e) in timeline)
        {
            if (!processes.TryGetValue(e.Pid, out (string? Comm, int Dump) p) || (e.Tid == e.Pid && e.Comm is not null))
            {
                processes[e.Pid] = (e.Tid == e.Pid ? e.Comm ?? p.Comm : p.Comm ?? e.Comm, processes.ContainsKey(e.Pid) ? p.Dump : dump);
            }
            threads[(e.Pid, e.Tid)] = e.Comm ?? threads.GetValueOrDefault((e.Pid, e.Tid));
        }
        foreach ((int pid, (string? comm, int dump)) in processes)
        {
            ContainerInfo container = dumps[dump].Header.Container;
            string name = comm is null ? container.DisplayName : $"{comm} ({container.DisplayName})";
            WriteMetadata(writer, "process_name", pid, 0, name);
        }
        foreach (((int pid, int tid), string? comm) in threads)
        {
            WriteMetadata(writer, "thread_name", pid, tid, comm ?? $"thread {tid}");
        }
    }

    private static void WriteMetadata(Utf8JsonWriter writer, string kind, int pid, int tid, string name)
    {
        writer.WriteStartObject();
        writer.WriteString("name", kind);
        writer.WriteString("ph", "M");
        writer.WriteNumber("ts", 0);
        writer.WriteNumber("pid", pid);
        writer.WriteNumber("tid", tid);
        writer.WriteStartObject("args");
        writer.WriteString("name", name);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteEvent(Utf8JsonWriter writer, TraceEventDto e, DumpHeader header, long origin, long sliceEnd)
    {
        writer.WriteStartObject();
        switch (e.Kind)
        {
            case TraceEventKind.Syscall:
                writer.WriteString("name", e.Name ?? $"syscall_{e.Nr}");
                writer.WriteString("cat", "syscall");
                writer.WriteString("ph", "X");
                WriteTimes(writer, e, origin);
                writer.WriteNumber("dur", Microseconds(sliceEnd - e.TimestampNs));
                break;
            case TraceEventKind.Tls when e.Tls is { } tls:
                writer.WriteString("name", $"tls {tls.Direction}");
                writer.WriteString("cat", "tls");
                writer.WriteString("ph", "i");
                writer.WriteString("s", "t");
                WriteTimes(writer, e, origin);
                break;
            case TraceEventKind.Tcp when e.Tcp is { } tcp:
                writer.WriteString("name", $"tcp {tcp.NewState}");
                writer.WriteString("cat", "tcp");
                writer.WriteString("ph", "i");
                writer.WriteString("s", "t");
                WriteTimes(writer, e, origin);
                break;
            case TraceEventKind.Signal:
                writer.WriteString("name", e.Name ?? $"signal {e.Nr}");
                writer.WriteString("cat", "signal");
                writer.WriteString("ph", "i");
                writer.WriteString("s", "t");
                WriteTimes(writer, e, origin);
                break;
            default:
                bool processEnded = e.ProcessEnded == true;
                writer.WriteString("name", ExitName(e));
                writer.WriteString("cat", processEnded ? "process-exit" : "thread-exit");
                writer.WriteString("ph", "i");
                writer.WriteString("s", processEnded ? "p" : "t");
                WriteTimes(writer, e, origin);
                break;
        }
        writer.WriteStartObject("args");
        WriteArgs(writer, e, header);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteTimes(Utf8JsonWriter writer, TraceEventDto e, long origin)
    {
        writer.WriteNumber("ts", Microseconds(e.TimestampNs - origin));
        writer.WriteNumber("pid", e.Pid);
        writer.WriteNumber("tid", e.Tid);
    }

    private static void WriteArgs(Utf8JsonWriter writer, TraceEventDto e, DumpHeader header)
    {
        foreach (SyscallArg arg in e.Args ?? [])
        {
            writer.WriteString(arg.Name, arg.Text);
        }
        if (e.Kind == TraceEventKind.Syscall)
        {
            switch (e.Completion)
            {
                case SyscallCompletion.Complete or SyscallCompletion.EnterLost when e.Ret is { } ret:
                    writer.WriteNumber("return", ret);
                    break;
                case SyscallCompletion.NoReturn:
                    writer.WriteString("return", "never (the thread ended)");
                    break;
                case SyscallCompletion.Unfinished:
                    writer.WriteString("return", "unfinished when the dump was taken");
                    break;
                default:
                    writer.WriteString("return", "unknown");
                    break;
            }
            if (e.Completion is SyscallCompletion.EnterLost or SyscallCompletion.ExitLost)
            {
                writer.WriteString("recorded", e.Completion == SyscallCompletion.EnterLost
                    ? "only the return: the entry was overwritten, so the arguments and the start are unknown"
                    : "only the entry: the return was not recorded, so the duration is unknown");
            }
            if (e.Errno is not null)
            {
                writer.WriteString("errno", e.ErrnoMessage is null ? e.Errno : $"{e.Errno} ({e.ErrnoMessage})");
            }
        }
        if (e.ExitStatus is { } status)
        {
            writer.WriteNumber("wait_status", status);
        }
        if (e.Http is { } http)
        {
            writer.WriteString("http", http.Type);
            writer.WriteString("http_role", http.Role);
            if (http.Method is not null)
            {
                writer.WriteString("http_request", $"{http.Method} {http.Path}{(http.PathTruncated ? "..." : "")}");
            }
            if (http.Status is { } code)
            {
                writer.WriteNumber("http_status", code);
            }
            if (http.LatencyNs is { } latency)
            {
                writer.WriteNumber("http_latency_ms", latency / 1e6);
            }
        }
        if (e.Tls is { } tls)
        {
            writer.WriteString("tls_library", tls.Library);
            writer.WriteNumber("tls_result", tls.Result);
            if (tls.Fd is { } fd)
            {
                writer.WriteNumber("fd", fd);
            }
        }
        if (e.Tcp is { } tcp)
        {
            writer.WriteString("local", $"{tcp.LocalAddress}:{tcp.LocalPort}");
            writer.WriteString("remote", $"{tcp.RemoteAddress}:{tcp.RemotePort}");
            writer.WriteString("from", tcp.OldState);
            writer.WriteString("to", tcp.NewState);
        }
        if (e.Text is not null)
        {
            writer.WriteString("strace", e.Text);
        }
        writer.WriteString("comm", e.Comm);
        writer.WriteString("container", e.Container ?? header.Container.DisplayName);
        writer.WriteNumber("seq", e.Seq);
    }

    /// <summary>strace's words without its "+++" marks ("exited with 3", "killed by SIGSEGV (core dumped)").</summary>
    private static string ExitName(TraceEventDto e)
    {
        if (e.Text is { Length: > 0 } text)
        {
            return text.Trim().Trim('+').Trim();
        }
        if (e.ExitStatus is not { } status)
        {
            return e.ProcessEnded == true ? "process exited" : "thread exited";
        }
        int signal = status & 0x7f;
        return signal != 0 ? $"killed by signal {signal}" : $"exited with {(status >> 8) & 0xff}";
    }

    /// <summary>The dump's trigger (or the moment a live dump was taken) as a global instant: a line across every track.</summary>
    private static void WriteTrigger(Utf8JsonWriter writer, DumpHeader header, long origin)
    {
        writer.WriteStartObject();
        writer.WriteString("name", header.Trigger is { } trigger ? $"trigger: {trigger.Description}" : "dump taken");
        writer.WriteString("cat", "traceloop");
        writer.WriteString("ph", "i");
        writer.WriteString("s", "g");
        writer.WriteNumber("ts", Microseconds(Nanoseconds(header.TakenAt) - origin));
        writer.WriteNumber("pid", header.Container.MainPid ?? 0);
        writer.WriteNumber("tid", header.Trigger?.Pid ?? header.Container.MainPid ?? 0);
        writer.WriteStartObject("args");
        writer.WriteString("container", header.Container.DisplayName);
        writer.WriteString("container_id", header.Container.Id);
        if (header.DumpId is not null)
        {
            writer.WriteString("dump_id", header.DumpId);
        }
        writer.WriteNumber("events", header.Events);
        writer.WriteNumber("events_lost", header.EventsLost);
        if (header.Trigger?.KubernetesReason is { } reason)
        {
            writer.WriteString("kubernetes_reason", reason);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Where the window starts after the ring overwrote older records: the reader should know the start is not the beginning.</summary>
    private static void WriteLoss(Utf8JsonWriter writer, DumpHeader header, long origin)
    {
        if (header.EventsLost <= 0 || header.WindowStart is not { } start)
        {
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("name", $"{header.EventsLost} earlier events lost ({header.Container.DisplayName})");
        writer.WriteString("cat", "traceloop");
        writer.WriteString("ph", "i");
        writer.WriteString("s", "g");
        writer.WriteNumber("ts", Microseconds(Nanoseconds(start) - origin));
        writer.WriteNumber("pid", header.Container.MainPid ?? 0);
        writer.WriteNumber("tid", header.Container.MainPid ?? 0);
        writer.WriteStartObject("args");
        writer.WriteString("why", "the ring overwrote older records, or they came before the container had a ring");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteOtherData(Utf8JsonWriter writer, IReadOnlyList<(DumpHeader Header, IReadOnlyList<TraceEventDto> Events)> dumps, long origin)
    {
        writer.WriteStartObject("otherData");
        writer.WriteString("startTime", DateTimeOffset.UnixEpoch.AddTicks(origin / 100).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteNumber("startTimeUnixNs", origin);
        if (dumps.Count > 0)
        {
            DumpHeader first = dumps[0].Header;
            writer.WriteString("traceloopVersion", first.TraceloopVersion);
            if (first.Node is not null)
            {
                writer.WriteString("node", first.Node);
            }
        }
        writer.WriteString("containers", string.Join(", ", dumps.Select(d => d.Header.Container.DisplayName)));
        writer.WriteNumber("eventsLost", dumps.Sum(d => d.Header.EventsLost));
        writer.WriteEndObject();
    }

    private static long Nanoseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>Nanoseconds as microseconds with three decimals, exactly (decimal, not double).</summary>
    private static decimal Microseconds(long nanoseconds) => nanoseconds / 1000m;
}
