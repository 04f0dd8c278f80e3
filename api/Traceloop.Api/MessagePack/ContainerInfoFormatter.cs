using MessagePack;
using MessagePack.Formatters;

namespace Traceloop.Api.MessagePack;

/// <summary>Writes <see cref="ContainerInfo"/> as an array indexed by its [Key]s.</summary>
public sealed class ContainerInfoFormatter : IMessagePackFormatter<ContainerInfo?>
{
    public static readonly ContainerInfoFormatter Instance = new();
    private const int FieldCount = 13;

    public void Serialize(ref MessagePackWriter writer, ContainerInfo? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(FieldCount);
        writer.Write(value.Id);
        writer.Write(value.PodUid);
        writer.Write(value.CgroupId);
        writer.Write(value.CgroupPath);
        writer.Write(value.Runtime);
        WireFormat.Write(ref writer, value.MainPid);
        WireFormat.WriteTime(ref writer, value.FirstSeen);
        WireFormat.WriteTime(ref writer, value.ExitedAt);
        writer.Write(value.BufferBytes);
        writer.Write(value.BufferFill);
        writer.Write(value.EventsHeld);
        writer.Write(value.EventsLost);
        WireFormat.Write(ref writer, value.ExitStatus);
    }

    public ContainerInfo? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        options.Security.DepthStep(ref reader);
        int count = WireFormat.ReadArrayHeader(ref reader, 256, "a container");
        string id = "", path = "";
        string? podUid = null, runtime = null;
        ulong cgroupId = 0;
        int? mainPid = null, exitStatus = null;
        DateTimeOffset firstSeen = default;
        DateTimeOffset? exitedAt = null;
        long bufferBytes = 0, held = 0, lost = 0;
        double fill = 0;
        for (int i = 0; i < count; i++)
        {
            switch (i)
            {
                case 0: id = reader.ReadString() ?? ""; break;
                case 1: podUid = reader.ReadString(); break;
                case 2: cgroupId = reader.ReadUInt64(); break;
                case 3: path = reader.ReadString() ?? ""; break;
                case 4: runtime = reader.ReadString(); break;
                case 5: mainPid = WireFormat.ReadNullableInt32(ref reader); break;
                case 6: firstSeen = WireFormat.ReadTime(ref reader); break;
                case 7: exitedAt = WireFormat.ReadNullableTime(ref reader); break;
                case 8: bufferBytes = reader.ReadInt64(); break;
                case 9: fill = reader.ReadDouble(); break;
                case 10: held = reader.ReadInt64(); break;
                case 11: lost = reader.ReadInt64(); break;
                case 12: exitStatus = WireFormat.ReadNullableInt32(ref reader); break;
                default: reader.Skip(); break; // a newer writer's field
            }
        }
        reader.Depth--;
        return new ContainerInfo
        {
            Id = id,
            PodUid = podUid,
            CgroupId = cgroupId,
            CgroupPath = path,
            Runtime = runtime,
            MainPid = mainPid,
            FirstSeen = firstSeen,
            ExitedAt = exitedAt,
            BufferBytes = bufferBytes,
            BufferFill = fill,
            EventsHeld = held,
            EventsLost = lost,
            ExitStatus = exitStatus,
        };
    }
}
