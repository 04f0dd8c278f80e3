using Traceloop.Api;
using Traceloop.Api.MessagePack;
using Traceloop.Recorder.Store;
using Traceloop.Tests.Api;

namespace Traceloop.Tests.Store;

public sealed class DumpFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-dumpfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] SampleDump()
    {
        TraceEventDto[] events = ApiSamples.AllEvents();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        TraceloopMessagePack.WriteHeader(buffer, ApiSamples.FullHeader(events.Length));
        foreach (TraceEventDto e in events)
        {
            TraceloopMessagePack.WriteEvent(buffer, e);
        }
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void ADumpWrittenAtomicallyReadsBack_AndIsAStandardLz4Frame()
    {
        byte[] msgpack = SampleDump();
        string path = Path.Join(_dir, "d" + DumpFile.Extension);
        AtomicFile.Write(path, DumpFile.Compress(msgpack));
        Assert.Equal(msgpack, DumpFile.Decompress(path));
        (DumpHeader header, List<TraceEventDto> events) = DumpFile.Read(path);
        Assert.Equal(ApiSamples.AllEvents().Length, events.Count);
        Assert.Equal(header.Events, events.Count);
        // The LZ4 frame magic, little-endian 0x184D2204.
        Assert.Equal([0x04, 0x22, 0x4d, 0x18], File.ReadAllBytes(path)[..4]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    public static TheoryData<string, Func<byte[], byte[]>> Damage => new()
    {
        { "truncated", b => b[..(b.Length / 2)] },
        { "cut before the end mark", b => b[..^4] },
        { "empty", _ => [] },
        { "garbage", _ => [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 31 + 7))] },
        { "a flipped byte in a block", b => { var c = (byte[])b.Clone(); c[c.Length / 2] ^= 0xff; return c; } },
        { "plain msgpack", _ => SampleDump() },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void ADamagedFileIsACorruptDumpWithAReason(string what, Func<byte[], byte[]> damage)
    {
        string path = Path.Join(_dir, "d" + DumpFile.Extension);
        File.WriteAllBytes(path, damage(DumpFile.Compress(SampleDump())));
        var e = Assert.Throws<CorruptDumpException>(() => DumpFile.Read(path));
        Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
    }

    [Fact]
    public void AValidFrameAroundSomethingElseIsCorruptToo()
    {
        string path = Path.Join(_dir, "d" + DumpFile.Extension);
        File.WriteAllBytes(path, DumpFile.Compress("not a dump at all"u8));
        Assert.Throws<CorruptDumpException>(() => DumpFile.Read(path));
    }

    [Fact]
    public void AnLz4BombIsRefusedAfterABoundedAmount_WithAClearReason()
    {
        byte[] header = SampleDump()[..64];
        byte[] bomb = new byte[DumpFile.MaxDecodedBytes + (4 << 20)];
        header.CopyTo(bomb, 0);
        string path = Path.Join(_dir, "d" + DumpFile.Extension);
        File.WriteAllBytes(path, DumpFile.Compress(bomb));
        Assert.True(new FileInfo(path).Length < DumpFile.MaxDecodedBytes / 100);
        bomb = [];

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CorruptDumpException>(() => DumpFile.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("more than", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < DumpFile.MaxDecodedBytes + (8 << 20), $"{allocated >> 20} MiB allocated");
        // A tighter limit (what the sidecar says it decodes to) refuses it sooner.
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<CorruptDumpException>(() => DumpFile.Read(path, maxDecodedBytes: 1 << 20));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20);
    }

    [Fact]
    public void TheHeaderAloneIsReadFromABoundedPrefix()
    {
        byte[] msgpack = SampleDump();
        string path = Path.Join(_dir, "d" + DumpFile.Extension);
        File.WriteAllBytes(path, DumpFile.Compress(msgpack));
        Assert.Equal(ApiSamples.AllEvents().Length, DumpFile.ReadHeader(path).Events);
        File.WriteAllBytes(path, DumpFile.Compress(new byte[DumpFile.MaxHeaderBytes * 4]));
        Assert.Throws<CorruptDumpException>(() => DumpFile.ReadHeader(path));
    }

    [Fact]
    public void WhatIsNotARegularFileIsRefusedWithoutBeingOpened()
    {
        string link = Path.Join(_dir, "link" + DumpFile.Extension);
        File.CreateSymbolicLink(link, "/etc/passwd");
        Assert.Contains("symbolic link", Assert.Throws<CorruptDumpException>(() => DumpFile.Read(link)).Message, StringComparison.Ordinal);
        Assert.Contains("directory", Assert.Throws<CorruptDumpException>(() => DumpFile.Read(_dir)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => DumpFile.Read(Path.Join(_dir, "absent")));
    }
}
