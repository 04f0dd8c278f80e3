using System.Buffers;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using MessagePack;
using Traceloop.Api;
using Traceloop.Api.MessagePack;

namespace Traceloop.Recorder.Store;

/// <summary>Why a saved dump could not be read, in one sentence.</summary>
internal sealed class CorruptDumpException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One saved dump on disk: the MessagePack dump stream (a <see cref="DumpHeader"/>, then its
/// events, exactly what GET /containers/{id}/dump?format=msgpack sends) inside one LZ4 frame
/// with block and content checksums, so `lz4 -d` restores the MessagePack. Written once,
/// through <see cref="AtomicFile"/>.
/// </summary>
internal static class DumpFile
{
    public const string Extension = ".msgpack.lz4";

    /// <summary>A dump decompresses to at most this much; more is corrupt input, not a dump.</summary>
    public const long MaxDecodedBytes = 512L * 1024 * 1024;

    private static readonly LZ4EncoderSettings Encoder = new()
    {
        CompressionLevel = LZ4Level.L00_FAST,
        ContentChecksum = true,
        BlockChecksum = true,
        ChainBlocks = true,
    };

    /// <summary>The LZ4 frame of <paramref name="msgpack"/>.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> msgpack)
    {
        using var output = new MemoryStream(msgpack.Length / 4 + 4096);
        using (LZ4EncoderStream lz4 = LZ4Stream.Encode(output, Encoder, leaveOpen: true))
        {
            lz4.Write(msgpack);
        }
        return output.ToArray();
    }

    /// <summary>Reads and checks a whole dump file; throws <see cref="CorruptDumpException"/> with the reason when it is not one.</summary>
    public static (DumpHeader Header, List<TraceEventDto> Events) Read(string path)
    {
        byte[] msgpack = Decompress(path);
        try
        {
            return TraceloopMessagePack.ReadDump(msgpack);
        }
        catch (MessagePackSerializationException e)
        {
            throw new CorruptDumpException(e.Message, e);
        }
    }

    /// <summary>The MessagePack inside a dump file; a file that is not a whole LZ4 frame is a <see cref="CorruptDumpException"/>.</summary>
    public static byte[] Decompress(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var output = new ArrayBufferWriter<byte>((int)Math.Min(file.Length * 4 + 4096, 64 * 1024 * 1024));
        try
        {
            using LZ4DecoderStream lz4 = LZ4Stream.Decode(file, leaveOpen: true);
            int n;
            while ((n = lz4.Read(output.GetSpan(64 * 1024))) > 0)
            {
                output.Advance(n);
                if (output.WrittenCount > MaxDecodedBytes)
                {
                    throw new CorruptDumpException($"it decompresses to more than {MaxDecodedBytes >> 20} MiB");
                }
            }
        }
        catch (Exception e) when (e is not CorruptDumpException and not OutOfMemoryException)
        {
            // The decoder reports a bad frame (wrong magic, a cut block, a failed checksum) in
            // many shapes, EndOfStreamException among them; the file was opened, so it is the content.
            throw new CorruptDumpException($"it is not a complete LZ4 frame ({e.Message})", e);
        }
        if (output.WrittenCount == 0)
        {
            throw new CorruptDumpException("it is empty");
        }
        return output.WrittenSpan.ToArray();
    }
}
