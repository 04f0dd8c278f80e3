using System.Buffers;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using MessagePack;
using Microsoft.Win32.SafeHandles;
using Traceloop.Api;
using Traceloop.Api.MessagePack;

namespace Traceloop.Recorder.Store;

/// <summary>Why a saved dump could not be read, in one sentence: its content or its kind is wrong, which no retry changes.</summary>
internal sealed class CorruptDumpException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reading a dump file's bytes failed (EIO and the like): the file may be fine, so this says nothing about its content.</summary>
internal sealed class DumpReadException(string message, Exception inner) : IOException(message, inner);

/// <summary>
/// One saved dump on disk: the MessagePack dump stream (a <see cref="DumpHeader"/>, then its
/// events, exactly what GET /containers/{id}/dump?format=msgpack sends) inside one LZ4 frame
/// with block and content checksums, so `lz4 -d` restores the MessagePack. Written once,
/// through <see cref="AtomicFile"/>. Read through <see cref="RegularFile"/>, decoded into
/// fixed-size chunks (never one buffer that doubles) and refused as soon as it decodes to more
/// than its limit: a small file that inflates to gigabytes costs the limit, not the memory.
/// </summary>
internal static class DumpFile
{
    public const string Extension = ".msgpack.lz4";

    /// <summary>
    /// A dump decodes to at most this much; more is corrupt input, not a dump. A ring holds at
    /// most 2 MiB of records (RecorderOptionsValidator.MaxRingSize) and its MessagePack is a few
    /// times that, so this leaves a wide margin and still fits beside the rings in the DaemonSet's limit.
    /// </summary>
    public const long MaxDecodedBytes = 64L << 20;

    /// <summary>A dump's header is found within this many decoded bytes, or the file is corrupt.</summary>
    public const int MaxHeaderBytes = 1 << 20;

    private const int ChunkBytes = 256 * 1024;

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

    /// <summary>Reads and checks a whole dump file.</summary>
    /// <param name="maxDecodedBytes">What it may decode to: its sidecar's size when known, else <see cref="MaxDecodedBytes"/>.</param>
    /// <exception cref="CorruptDumpException">It is not a dump, with the reason.</exception>
    /// <exception cref="FileNotFoundException">It is gone (deleted meanwhile).</exception>
    /// <exception cref="IOException">Reading it failed; it may read later.</exception>
    public static (DumpHeader Header, List<TraceEventDto> Events) Read(string path, long maxDecodedBytes = MaxDecodedBytes)
    {
        ReadOnlySequence<byte> msgpack = Decode(path, Math.Min(maxDecodedBytes, MaxDecodedBytes), stopAt: long.MaxValue);
        try
        {
            return TraceloopMessagePack.ReadDump(msgpack);
        }
        catch (MessagePackSerializationException e)
        {
            throw new CorruptDumpException(e.Message, e);
        }
    }

    /// <summary>The MessagePack inside a dump file (see <see cref="Read"/> for what it throws).</summary>
    public static byte[] Decompress(string path) => Decode(path, MaxDecodedBytes, stopAt: long.MaxValue).ToArray();

    /// <summary>
    /// The header alone, from at most <see cref="MaxHeaderBytes"/> decoded bytes: what lists a
    /// dump whose sidecar is lost, at a cost that does not grow with the dump. The rest of the
    /// file is checked when it is read.
    /// </summary>
    public static DumpHeader ReadHeader(string path)
    {
        foreach (int prefix in (int[])[64 * 1024, MaxHeaderBytes])
        {
            ReadOnlySequence<byte> decoded = Decode(path, long.MaxValue, stopAt: prefix);
            try
            {
                return TraceloopMessagePack.ReadHeader(decoded);
            }
            catch (MessagePackSerializationException e) when (e.InnerException is EndOfStreamException && decoded.Length >= prefix)
            {
                // The header goes on past this prefix: try the longer one.
            }
            catch (MessagePackSerializationException e)
            {
                throw new CorruptDumpException(e.Message, e);
            }
        }
        throw new CorruptDumpException($"it has no dump header within its first {MaxHeaderBytes >> 20} MiB");
    }

    /// <summary>
    /// Decodes the LZ4 frame into chunks, up to <paramref name="stopAt"/> bytes (a prefix, not
    /// checked further) or to its end (checked whole, no more than <paramref name="limit"/> bytes).
    /// </summary>
    private static ReadOnlySequence<byte> Decode(string path, long limit, long stopAt)
    {
        using SafeFileHandle fd = RegularFile.Open(path, out long size);
        if (stopAt == long.MaxValue && size > limit + (limit >> 6) + 64 * 1024)
        {
            // LZ4 never grows its input by more than a little: this file cannot decode within the limit.
            throw new CorruptDumpException($"it is {size} bytes, more than a dump of at most {limit} bytes can compress to");
        }
        var chunks = new ChunkList();
        try
        {
            using var source = new FileSource(fd);
            using LZ4DecoderStream lz4 = LZ4Stream.Decode(source, leaveOpen: true);
            while (chunks.Length < stopAt)
            {
                Span<byte> span = chunks.Free((int)Math.Min(ChunkBytes, stopAt - chunks.Length));
                int n = lz4.Read(span);
                if (n == 0)
                {
                    break;
                }
                chunks.Advance(n);
                if (chunks.Length > limit)
                {
                    throw new CorruptDumpException($"it decodes to more than {limit} bytes, more than a dump can be");
                }
            }
        }
        catch (Exception e) when (e is not CorruptDumpException and not DumpReadException and not OutOfMemoryException)
        {
            // The decoder reports a bad frame (wrong magic, a cut block, a failed checksum) in
            // many shapes, EndOfStreamException among them; the bytes were read, so it is the content.
            throw new CorruptDumpException($"it is not a complete LZ4 frame ({e.Message})", e);
        }
        if (chunks.Length == 0)
        {
            throw new CorruptDumpException("it is empty");
        }
        return chunks.ToSequence();
    }

    /// <summary>Decoded bytes in fixed-size chunks: growing never copies what is already there.</summary>
    private sealed class ChunkList
    {
        private readonly List<byte[]> _chunks = [];
        private int _used;

        public long Length { get; private set; }

        public Span<byte> Free(int atMost)
        {
            if (_chunks.Count == 0 || _used == _chunks[^1].Length)
            {
                _chunks.Add(new byte[ChunkBytes]);
                _used = 0;
            }
            return _chunks[^1].AsSpan(_used, Math.Min(atMost, ChunkBytes - _used));
        }

        public void Advance(int n)
        {
            _used += n;
            Length += n;
        }

        public ReadOnlySequence<byte> ToSequence()
        {
            if (_chunks.Count == 1)
            {
                return new ReadOnlySequence<byte>(_chunks[0], 0, _used);
            }
            var first = new Segment(_chunks[0], 0);
            Segment last = first;
            for (int i = 1; i < _chunks.Count; i++)
            {
                last = last.Append(i == _chunks.Count - 1 ? _chunks[i].AsMemory(0, _used) : _chunks[i]);
            }
            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    /// <summary>
    /// The file's bytes as the decoder's input; a failed read (EIO) becomes a <see cref="DumpReadException"/>,
    /// so it is never mistaken for the decoder's complaints about the content.
    /// </summary>
    private sealed class FileSource(SafeFileHandle fd) : Stream
    {
        private long _position;

        public override int Read(Span<byte> buffer)
        {
            int n;
            try
            {
                n = RandomAccess.Read(fd, buffer, _position);
            }
            catch (IOException e)
            {
                throw new DumpReadException($"reading it failed: {e.Message}", e);
            }
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
