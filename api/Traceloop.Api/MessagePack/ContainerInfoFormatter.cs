using MessagePack;

namespace Traceloop.Api.MessagePack;

/// <summary>Writes <see cref="ContainerInfo"/> as an array indexed by its [Key]s.</summary>
public static class ContainerInfoFormatter
{
    private const int FieldCount = 25;

    public static void Write(ref MessagePackWriter writer, ContainerInfo? value)
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
        writer.Write(value.Namespace);
        writer.Write(value.Pod);
        writer.Write(value.Container);
        WireFormat.WriteLabels(ref writer, value.Labels);
        writer.Write(value.Image);
        WireFormat.Write(ref writer, value.RestartCount);
        writer.Write(value.Node);
        writer.Write(value.ContainerKind);
        WireFormat.WriteTime(ref writer, value.RecordingSince);
        writer.Write(value.RecordingOrigin);
        writer.Write(value.EventsMissed);
        writer.Write(value.CaptureLevel);
    }

    public static ContainerInfo? Read(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int count = WireFormat.ReadArrayHeader(ref reader, 256, "a container");
        string id = "", path = "";
        string? podUid = null, runtime = null;
        ulong cgroupId = 0;
        int? mainPid = null, exitStatus = null, restarts = null;
        string? ns = null, pod = null, name = null, image = null, node = null, kind = null;
        Dictionary<string, string>? labels = null;
        DateTimeOffset firstSeen = default;
        DateTimeOffset? exitedAt = null, since = null;
        string? origin = null;
        long missed = 0;
        string? level = null;
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
                case 13: ns = reader.ReadString(); break;
                case 14: pod = reader.ReadString(); break;
                case 15: name = reader.ReadString(); break;
                case 16: labels = WireFormat.ReadLabels(ref reader); break;
                case 17: image = reader.ReadString(); break;
                case 18: restarts = WireFormat.ReadNullableInt32(ref reader); break;
                case 19: node = reader.ReadString(); break;
                case 20: kind = reader.ReadString(); break;
                case 21: since = WireFormat.ReadNullableTime(ref reader); break;
                case 22: origin = reader.ReadString(); break;
                case 23: missed = reader.ReadInt64(); break;
                case 24: level = reader.ReadString(); break;
                default: WireFormat.Skip(ref reader); break; // a newer writer's field
            }
        }
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
            Namespace = ns,
            Pod = pod,
            Container = name,
            Labels = labels,
            Image = image,
            RestartCount = restarts,
            Node = node,
            ContainerKind = kind,
            RecordingSince = since,
            RecordingOrigin = origin,
            EventsMissed = missed,
            CaptureLevel = level,
        };
    }
}
