using MessagePack;

namespace Traceloop.Api.MessagePack;

/// <summary>Writes <see cref="DumpTrigger"/> as an array indexed by its [Key]s.</summary>
public static class DumpTriggerFormatter
{
    private const int FieldCount = 10;

    public static void Write(ref MessagePackWriter writer, DumpTrigger? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(FieldCount);
        writer.Write(value.Kind);
        WireFormat.Write(ref writer, value.ExitCode);
        WireFormat.Write(ref writer, value.Signal);
        writer.Write(value.SignalName);
        writer.Write(value.CoreDumped);
        writer.Write(value.Syscall);
        writer.Write(value.Errno);
        writer.Write(value.KubernetesReason);
        WireFormat.Write(ref writer, value.KubernetesExitCode);
        WireFormat.Write(ref writer, value.Pid);
    }

    public static DumpTrigger? Read(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int count = WireFormat.ReadArrayHeader(ref reader, 256, "a dump trigger");
        string kind = "";
        int? exitCode = null, signal = null, k8sExitCode = null, pid = null;
        string? signalName = null, syscall = null, errno = null, reason = null;
        bool core = false;
        for (int i = 0; i < count; i++)
        {
            switch (i)
            {
                case 0: kind = reader.ReadString() ?? ""; break;
                case 1: exitCode = WireFormat.ReadNullableInt32(ref reader); break;
                case 2: signal = WireFormat.ReadNullableInt32(ref reader); break;
                case 3: signalName = reader.ReadString(); break;
                case 4: core = reader.ReadBoolean(); break;
                case 5: syscall = reader.ReadString(); break;
                case 6: errno = reader.ReadString(); break;
                case 7: reason = reader.ReadString(); break;
                case 8: k8sExitCode = WireFormat.ReadNullableInt32(ref reader); break;
                case 9: pid = WireFormat.ReadNullableInt32(ref reader); break;
                default: WireFormat.Skip(ref reader); break;
            }
        }
        if (kind.Length == 0)
        {
            throw new MessagePackSerializationException("the dump trigger has no kind");
        }
        return new DumpTrigger
        {
            Kind = kind,
            ExitCode = exitCode,
            Signal = signal,
            SignalName = signalName,
            CoreDumped = core,
            Syscall = syscall,
            Errno = errno,
            KubernetesReason = reason,
            KubernetesExitCode = k8sExitCode,
            Pid = pid,
        };
    }
}
