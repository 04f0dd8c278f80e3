using System.Buffers;
using MessagePack;

namespace Traceloop.Api.MessagePack;

/// <summary>
/// The MessagePack dump format: a <see cref="DumpHeader"/> followed by its events, each a
/// top-level object. The formatters are written by hand over MessagePackWriter and
/// MessagePackReader, without MessagePackSerializer's resolvers: no runtime code generation
/// is reachable, so it works under Native AOT. Input is read as untrusted: every count and
/// nesting depth is bounded, and any malformation is a MessagePackSerializationException.
/// </summary>
public static class TraceloopMessagePack
{
    /// <summary>A dump holds at most this many events; a larger count is corrupt input.</summary>
    public const int MaxEvents = 10_000_000;

    public static void WriteHeader(IBufferWriter<byte> output, DumpHeader header)
    {
        var writer = new MessagePackWriter(output);
        DumpHeaderFormatter.Write(ref writer, header);
        writer.Flush();
    }

    public static void WriteEvent(IBufferWriter<byte> output, TraceEventDto e)
    {
        var writer = new MessagePackWriter(output);
        TraceEventFormatter.Write(ref writer, e);
        writer.Flush();
    }

    /// <summary>Reads a whole dump; throws <see cref="MessagePackSerializationException"/> with a reason on bad input.</summary>
    public static (DumpHeader Header, List<TraceEventDto> Events) ReadDump(ReadOnlySequence<byte> data)
    {
        try
        {
            return ReadDumpUnchecked(data);
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or ArgumentException or InvalidOperationException or FormatException)
        {
            // The reader reports malformed input in several shapes; callers get one.
            throw new MessagePackSerializationException($"the dump is malformed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads only the <see cref="DumpHeader"/> a dump starts with, from a prefix of it; throws
    /// <see cref="MessagePackSerializationException"/> with a reason on bad input, with an
    /// <see cref="EndOfStreamException"/> inside when the prefix ends within the header.
    /// </summary>
    public static DumpHeader ReadHeader(ReadOnlySequence<byte> prefix)
    {
        try
        {
            var reader = new MessagePackReader(prefix);
            DumpHeader header = DumpHeaderFormatter.Read(ref reader)
                ?? throw new MessagePackSerializationException("the dump starts with nil instead of a header");
            if (header.Events < 0 || header.Events > MaxEvents)
            {
                throw new MessagePackSerializationException($"the dump header announces {header.Events} events");
            }
            return header;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new MessagePackSerializationException($"the dump header is malformed: {e.Message}", e);
        }
    }

    private static (DumpHeader Header, List<TraceEventDto> Events) ReadDumpUnchecked(ReadOnlySequence<byte> data)
    {
        var reader = new MessagePackReader(data);
        DumpHeader header = DumpHeaderFormatter.Read(ref reader)
            ?? throw new MessagePackSerializationException("the dump starts with nil instead of a header");
        if (header.Events < 0 || header.Events > MaxEvents)
        {
            throw new MessagePackSerializationException($"the dump header announces {header.Events} events");
        }
        var events = new List<TraceEventDto>(Math.Min(header.Events, 100_000));
        while (!reader.End)
        {
            TraceEventDto e = TraceEventFormatter.Read(ref reader)
                ?? throw new MessagePackSerializationException("nil where an event was expected");
            events.Add(e);
            if (events.Count > header.Events)
            {
                throw new MessagePackSerializationException($"the dump holds more events than the {header.Events} its header announces");
            }
        }
        if (events.Count != header.Events)
        {
            throw new MessagePackSerializationException($"the dump is truncated: {events.Count} of {header.Events} events");
        }
        return (header, events);
    }

    public static (DumpHeader Header, List<TraceEventDto> Events) ReadDump(byte[] data) => ReadDump(new ReadOnlySequence<byte>(data));

    /// <summary>
    /// Reads a dump of several containers (a pod's): one header and its events after another,
    /// each header's <see cref="DumpHeader.Events"/> saying how many events follow it.
    /// </summary>
    public static List<(DumpHeader Header, List<TraceEventDto> Events)> ReadDumps(byte[] data)
    {
        try
        {
            var reader = new MessagePackReader(new ReadOnlySequence<byte>(data));
            var dumps = new List<(DumpHeader, List<TraceEventDto>)>();
            while (!reader.End)
            {
                DumpHeader header = DumpHeaderFormatter.Read(ref reader)
                    ?? throw new MessagePackSerializationException("nil where a dump header was expected");
                if (header.Events < 0 || header.Events > MaxEvents)
                {
                    throw new MessagePackSerializationException($"a dump header announces {header.Events} events");
                }
                var events = new List<TraceEventDto>(Math.Min(header.Events, 100_000));
                for (int i = 0; i < header.Events; i++)
                {
                    events.Add(TraceEventFormatter.Read(ref reader) ?? throw new MessagePackSerializationException("nil where an event was expected"));
                }
                dumps.Add((header, events));
            }
            return dumps;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new MessagePackSerializationException($"the dump is malformed: {e.Message}", e);
        }
    }
}
