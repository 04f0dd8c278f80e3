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
            StraceText.AppendLine(sb, dump.Buffer, window[i], dump.Clock);
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
        sb.Append(", ").Append(h.EventsLost.ToString(CultureInfo.InvariantCulture)).Append(" older events lost to overwriting\n");
        if (c.ExitedAt is { } exited)
        {
            sb.Append("# container ended ").Append(exited.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(" UTC\n");
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
            TraceEventDto dto = EventDtoFactory.Create(dump.Buffer, window[i], dump.Clock, scratch);
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

    private static async Task WriteMessagePackAsync(Stream output, ContainerDump dump, int? last, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 4096);
        var scratch = new StringBuilder();
        TraceloopMessagePack.WriteHeader(buffer, dump.ToHeader(last));
        ArraySegment<TraceEvent> window = dump.Window(last);
        for (int i = 0; i < window.Count; i++)
        {
            TraceloopMessagePack.WriteEvent(buffer, EventDtoFactory.Create(dump.Buffer, window[i], dump.Clock, scratch));
            if (buffer.WrittenCount >= FlushBytes)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                buffer.ResetWrittenCount();
            }
        }
        await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
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
