using MessagePack;

namespace Traceloop.Api.MessagePack;

/// <summary>Writes <see cref="DumpHeader"/> as an array indexed by its [Key]s.</summary>
public static class DumpHeaderFormatter
{
    private const int FieldCount = 12;

    public static void Write(ref MessagePackWriter writer, DumpHeader? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(FieldCount);
        writer.Write(value.FormatVersion);
        ContainerInfoFormatter.Write(ref writer, value.Container);
        WireFormat.WriteTime(ref writer, value.TakenAt);
        WireFormat.WriteTime(ref writer, value.WindowStart);
        WireFormat.WriteTime(ref writer, value.WindowEnd);
        writer.Write(value.Events);
        writer.Write(value.EventsLost);
        writer.Write(value.TraceloopVersion);
        writer.Write(value.Node);
        DumpTriggerFormatter.Write(ref writer, value.Trigger);
        writer.Write(value.DumpId);
        WireFormat.WriteTime(ref writer, value.CompleteFrom);
    }

    public static DumpHeader? Read(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int count = WireFormat.ReadArrayHeader(ref reader, 256, "a dump header");
        int version = 0, events = 0;
        ContainerInfo? container = null;
        DateTimeOffset takenAt = default;
        DateTimeOffset? start = null, end = null, completeFrom = null;
        long lost = 0;
        string traceloopVersion = "";
        string? node = null, dumpId = null;
        DumpTrigger? trigger = null;
        for (int i = 0; i < count; i++)
        {
            switch (i)
            {
                case 0: version = reader.ReadInt32(); break;
                case 1: container = ContainerInfoFormatter.Read(ref reader); break;
                case 2: takenAt = WireFormat.ReadTime(ref reader); break;
                case 3: start = WireFormat.ReadNullableTime(ref reader); break;
                case 4: end = WireFormat.ReadNullableTime(ref reader); break;
                case 5: events = reader.ReadInt32(); break;
                case 6: lost = reader.ReadInt64(); break;
                case 7: traceloopVersion = reader.ReadString() ?? ""; break;
                case 8: node = reader.ReadString(); break;
                case 9: trigger = DumpTriggerFormatter.Read(ref reader); break;
                case 10: dumpId = reader.ReadString(); break;
                case 11: completeFrom = WireFormat.ReadNullableTime(ref reader); break;
                default: WireFormat.Skip(ref reader); break;
            }
        }
        if (version < 1 || version > DumpHeader.CurrentFormatVersion)
        {
            throw new MessagePackSerializationException($"dump format version {version} is not one this reader knows (1 to {DumpHeader.CurrentFormatVersion})");
        }
        return new DumpHeader
        {
            FormatVersion = version,
            Container = container ?? throw new MessagePackSerializationException("the dump header names no container"),
            TakenAt = takenAt,
            WindowStart = start,
            WindowEnd = end,
            Events = events,
            EventsLost = lost,
            TraceloopVersion = traceloopVersion,
            Node = node,
            Trigger = trigger,
            DumpId = dumpId,
            CompleteFrom = completeFrom,
        };
    }
}
