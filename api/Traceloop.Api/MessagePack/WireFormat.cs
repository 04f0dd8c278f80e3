using MessagePack;

namespace Traceloop.Api.MessagePack;

/// <summary>Shared encodings of the hand-written formatters.</summary>
internal static class WireFormat
{
    // Times travel as int64 nanoseconds since the Unix epoch: compact, exact, language-neutral.
    public static void WriteTime(ref MessagePackWriter writer, DateTimeOffset value)
    {
        long ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks is < long.MinValue / 100 or > long.MaxValue / 100)
        {
            throw new MessagePackSerializationException($"the time {value:O} is outside the years 1677 to 2262 that a dump can hold");
        }
        writer.Write(ticks * 100);
    }

    public static void WriteTime(ref MessagePackWriter writer, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            WriteTime(ref writer, v);
        }
        else
        {
            writer.WriteNil();
        }
    }

    public static DateTimeOffset ReadTime(ref MessagePackReader reader) =>
        DateTimeOffset.UnixEpoch.AddTicks(reader.ReadInt64() / 100);

    public static DateTimeOffset? ReadNullableTime(ref MessagePackReader reader) =>
        reader.TryReadNil() ? null : ReadTime(ref reader);

    public static void Write(ref MessagePackWriter writer, long? value)
    {
        if (value is { } v)
        {
            writer.Write(v);
        }
        else
        {
            writer.WriteNil();
        }
    }

    public static void Write(ref MessagePackWriter writer, int? value)
    {
        if (value is { } v)
        {
            writer.Write(v);
        }
        else
        {
            writer.WriteNil();
        }
    }

    public static void WriteLabels(ref MessagePackWriter writer, IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteMapHeader(labels.Count);
        foreach ((string key, string value) in labels)
        {
            writer.Write(key);
            writer.Write(value);
        }
    }

    /// <summary>Labels: at most 1,024 (Kubernetes allows fewer in practice; more is hostile input).</summary>
    public static Dictionary<string, string>? ReadLabels(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int count = reader.ReadMapHeader();
        if (count > 1024)
        {
            throw new MessagePackSerializationException($"{count} labels is more than a pod can have");
        }
        var labels = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string key = reader.ReadString() ?? "";
            labels[key] = reader.ReadString() ?? "";
        }
        return labels;
    }

    public static long? ReadNullableInt64(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadInt64();

    public static int? ReadNullableInt32(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadInt32();

    public static bool? ReadNullableBool(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadBoolean();

    public static byte[]? ReadBytes(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        System.Buffers.ReadOnlySequence<byte>? bytes = reader.ReadBytes();
        return bytes is { } b ? System.Buffers.BuffersExtensions.ToArray(b) : null;
    }

    /// <summary>
    /// Skips a value a newer writer added. Nested arrays and maps are walked with a counter of
    /// values still to skip instead of recursion, so no nesting depth can overflow the stack,
    /// and each value takes at least one byte, so the work is bounded by the input's length.
    /// </summary>
    public static void Skip(ref MessagePackReader reader)
    {
        long pending = 1;
        while (pending > 0)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    pending += reader.ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    pending += 2L * reader.ReadMapHeader();
                    break;
                default:
                    reader.Skip();
                    break;
            }
            pending--;
        }
    }

    /// <summary>Reads an array header, refusing one larger than <paramref name="max"/> (untrusted input).</summary>
    public static int ReadArrayHeader(ref MessagePackReader reader, int max, string what)
    {
        int count = reader.ReadArrayHeader();
        if (count > max)
        {
            throw new MessagePackSerializationException($"{what} has {count} fields or items, more than the {max} allowed");
        }
        return count;
    }
}
