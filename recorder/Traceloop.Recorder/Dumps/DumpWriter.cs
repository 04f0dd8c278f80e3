using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Traceloop.Api;
using Traceloop.Api.MessagePack;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>Writes a dump in one of the three formats, in chunks, oldest event first.</summary>
internal static class DumpWriter
{
    private const int FlushBytes = 64 * 1024;

    /// <summary>
    /// Writes several containers' dumps (a pod's) as one: text and JSON interleave the events in
    /// time order and tag each with its container; MessagePack writes each container's header
    /// and events in turn (see TraceloopMessagePack.ReadDumps). <paramref name="last"/> counts
    /// across all of them.
    /// </summary>
    public static async Task WriteAsync(Stream output, IReadOnlyList<ContainerDump> dumps, DumpFormat format, int? last, CancellationToken ct)
    {
        if (dumps.Count == 1)
        {
            await WriteAsync(output, dumps[0], format, last, ct).ConfigureAwait(false);
            return;
        }
        List<(int Dump, int Event)> merged = Merge(dumps, last);
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 4096);
        var sb = new StringBuilder(FlushBytes + 1024);
        string[] names = [.. dumps.Select(d => d.ToInfo().Container ?? d.Container.Id[..12])];
        switch (format)
        {
            case DumpFormat.MessagePack:
                for (int d = 0; d < dumps.Count; d++)
                {
                    int n = merged.Count(m => m.Dump == d);
                    await WriteMessagePackAsync(output, dumps[d], n, names[d], ct).ConfigureAwait(false);
                }
                return;
            case DumpFormat.Json:
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = TraceloopJson.Options.Encoder }))
                {
                    foreach ((int d, int i) in merged)
                    {
                        TraceEventDto dto = EventDtoFactory.Create(dumps[d].Buffer, dumps[d].Events[i], dumps[d].Clock, sb, names[d], dumps[d].HttpAt(i));
                        JsonSerializer.Serialize(writer, dto, TraceloopJson.Context.TraceEventDto);
                        writer.Flush();
                        writer.Reset();
                        buffer.Write("\n"u8);
                        if (buffer.WrittenCount >= FlushBytes)
                        {
                            await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                            buffer.ResetWrittenCount();
                        }
                    }
                }
                await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                return;
            default:
                foreach (ContainerDump dump in dumps)
                {
                    AppendTextHeader(sb, dump.ToHeader(null));
                }
                foreach ((int d, int i) in merged)
                {
                    DumpLine.Append(sb, dumps[d].Buffer, dumps[d].Events[i], dumps[d].Clock, names[d], dumps[d].HttpAt(i));
                    if (sb.Length >= FlushBytes)
                    {
                        await FlushAsync(output, sb, ct).ConfigureAwait(false);
                    }
                }
                await FlushAsync(output, sb, ct).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>All events of all dumps in time order (a k-way merge of sorted lists), the newest <paramref name="last"/>.</summary>
    private static List<(int Dump, int Event)> Merge(IReadOnlyList<ContainerDump> dumps, int? last)
    {
        var merged = new List<(int, int)>(dumps.Sum(d => d.Events.Length));
        var next = new int[dumps.Count];
        while (true)
        {
            int best = -1;
            for (int d = 0; d < dumps.Count; d++)
            {
                if (next[d] < dumps[d].Events.Length &&
                    (best < 0 || dumps[d].Events[next[d]].Timestamp < dumps[best].Events[next[best]].Timestamp))
                {
                    best = d;
                }
            }
            if (best < 0)
            {
                break;
            }
            merged.Add((best, next[best]++));
        }
        return last is { } n && n < merged.Count ? merged[^n..] : merged;
    }

    public static async Task WriteAsync(Stream output, ContainerDump dump, DumpFormat format, int? last, CancellationToken ct)
    {
        switch (format)
        {
            case DumpFormat.Json:
                await WriteJsonAsync(output, dump, last, ct).ConfigureAwait(false);
                break;
            case DumpFormat.MessagePack:
                await WriteMessagePackAsync(output, dump, last, ct).ConfigureAwait(false);
                break;
            default:
                await WriteTextAsync(output, dump, last, ct).ConfigureAwait(false);
                break;
        }
    }

    private static async Task WriteTextAsync(Stream output, ContainerDump dump, int? last, CancellationToken ct)
    {
        var sb = new StringBuilder(FlushBytes + 1024);
        AppendTextHeader(sb, dump.ToHeader(last));
        ArraySegment<TraceEvent> window = dump.Window(last);
        for (int i = 0; i < window.Count; i++)
        {
            DumpLine.Append(sb, dump.Buffer, window[i], dump.Clock, http: dump.HttpAt(window.Offset + i));
            if (sb.Length >= FlushBytes)
            {
                await FlushAsync(output, sb, ct).ConfigureAwait(false);
            }
        }
        await FlushAsync(output, sb, ct).ConfigureAwait(false);
    }

    public static void AppendTextHeader(StringBuilder sb, DumpHeader h)
    {
        ContainerInfo c = h.Container;
        if (c.Namespace is not null && c.Pod is not null)
        {
            sb.Append("# pod ").Append(c.Namespace).Append('/').Append(c.Pod);
            if (c.Container is not null)
            {
                sb.Append(" container ").Append(c.Container);
            }
            if (c.Image is not null)
            {
                sb.Append(" image ").Append(c.Image);
            }
            if (c.RestartCount is { } restarts)
            {
                sb.Append(" restarts ").Append(restarts);
            }
            sb.Append('\n');
        }
        sb.Append("# container ").Append(c.Id);
        if (c.PodUid is not null)
        {
            sb.Append(" pod-uid ").Append(c.PodUid);
        }
        sb.Append(" cgroup ").Append(c.CgroupPath).Append('\n');
        sb.Append("# node ").Append(h.Node).Append(", traceloop ").Append(h.TraceloopVersion)
          .Append(", taken ").Append(h.TakenAt.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(" UTC\n");
        sb.Append("# ").Append(h.Events.ToString(CultureInfo.InvariantCulture)).Append(" events");
        if (h.WindowStart is { } start && h.WindowEnd is { } end)
        {
            sb.Append(" from ").Append(start.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture))
              .Append(" to ").Append(end.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(" UTC");
        }
        sb.Append(", ").Append((h.EventsLost - c.EventsMissed).ToString(CultureInfo.InvariantCulture)).Append(" older events lost to overwriting\n");
        if (h.CompleteFrom is { } complete)
        {
            sb.Append("# complete from ").Append(complete.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture))
              .Append(" UTC: before it, CPUs whose part of the ring wrapped have lost events that other CPUs' older events may outlive\n");
        }
        if (c.RecordingOrigin is { } origin)
        {
            sb.Append("# recording began");
            if (c.RecordingSince is { } since)
            {
                sb.Append(' ').Append(since.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(" UTC");
            }
            sb.Append(' ').Append(RecordingOrigins.Describe(origin));
            if (c.EventsMissed > 0)
            {
                sb.Append(" (").Append(c.EventsMissed.ToString(CultureInfo.InvariantCulture)).Append(" events)");
            }
            sb.Append('\n');
        }
        if (c.CaptureLevel is { } level && level != CaptureLevelNames.Full)
        {
            sb.Append("# capture level ").Append(level).Append(": ").Append(CaptureLevelNames.Describe(level)).Append('\n');
        }
        if (c.ExitedAt is { } exited)
        {
            sb.Append("# container ended ").Append(exited.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(" UTC\n");
        }
        if (h.Trigger is { } trigger)
        {
            sb.Append("# saved dump ").Append(h.DumpId).Append(", trigger ").Append(trigger.Kind).Append(": ").Append(trigger.Description);
            if (trigger.KubernetesReason is { } reason)
            {
                sb.Append(", kubelet reports ").Append(reason);
                if (trigger.KubernetesExitCode is { } code)
                {
                    sb.Append(" (exit code ").Append(code.ToString(CultureInfo.InvariantCulture)).Append(')');
                }
            }
            sb.Append('\n');
        }
    }

    private static async Task WriteJsonAsync(Stream output, ContainerDump dump, int? last, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 4096);
        var scratch = new StringBuilder();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = TraceloopJson.Options.Encoder });
        ArraySegment<TraceEvent> window = dump.Window(last);
        for (int i = 0; i < window.Count; i++)
        {
            TraceEventDto dto = EventDtoFactory.Create(dump.Buffer, window[i], dump.Clock, scratch, http: dump.HttpAt(window.Offset + i));
            JsonSerializer.Serialize(writer, dto, TraceloopJson.Context.TraceEventDto);
            writer.Flush();
            writer.Reset();
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= FlushBytes)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }
        await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
    }

    private static Task WriteMessagePackAsync(Stream output, ContainerDump dump, int? last, CancellationToken ct) =>
        WriteMessagePackAsync(output, dump, last, container: null, ct);

    private static async Task WriteMessagePackAsync(Stream output, ContainerDump dump, int? last, string? container, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 4096);
        var scratch = new StringBuilder();
        TraceloopMessagePack.WriteHeader(buffer, dump.ToHeader(last));
        ArraySegment<TraceEvent> window = dump.Window(last);
        for (int i = 0; i < window.Count; i++)
        {
            TraceloopMessagePack.WriteEvent(buffer, EventDtoFactory.Create(dump.Buffer, window[i], dump.Clock, scratch, container, dump.HttpAt(window.Offset + i)));
            if (buffer.WrittenCount >= FlushBytes)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }
        await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a saved dump, already decoded into the API's objects, in the same three formats as
    /// a live one: MessagePack and JSON carry the same objects, text the same lines.
    /// </summary>
    public static async Task WriteSavedAsync(Stream output, DumpHeader header, IReadOnlyList<TraceEventDto> events, DumpFormat format, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 4096);
        var sb = new StringBuilder(FlushBytes + 1024);
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = TraceloopJson.Options.Encoder });
        if (format == DumpFormat.MessagePack)
        {
            TraceloopMessagePack.WriteHeader(buffer, header);
        }
        else if (format == DumpFormat.Text)
        {
            AppendTextHeader(sb, header);
        }
        foreach (TraceEventDto e in events)
        {
            switch (format)
            {
                case DumpFormat.MessagePack:
                    TraceloopMessagePack.WriteEvent(buffer, e);
                    break;
                case DumpFormat.Json:
                    JsonSerializer.Serialize(json, e, TraceloopJson.Context.TraceEventDto);
                    json.Flush();
                    json.Reset();
                    buffer.Write("\n"u8);
                    break;
                default:
                    DumpLine.Append(sb, e);
                    if (sb.Length >= FlushBytes)
                    {
                        await FlushAsync(output, sb, ct).ConfigureAwait(false);
                    }
                    break;
            }
            if (buffer.WrittenCount >= FlushBytes)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }
        await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        await FlushAsync(output, sb, ct).ConfigureAwait(false);
    }

    private static async Task FlushAsync(Stream output, StringBuilder sb, CancellationToken ct)
    {
        if (sb.Length == 0)
        {
            return;
        }
        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        sb.Clear();
        await output.WriteAsync(bytes, ct).ConfigureAwait(false);
    }
}
