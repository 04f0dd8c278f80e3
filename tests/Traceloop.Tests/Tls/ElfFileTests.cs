using System.Buffers.Binary;
using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;

namespace Traceloop.Tests.Tls;

/// <summary>Files the ELF reader must refuse with a reason instead of reading garbage.</summary>
public sealed class ElfFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("traceloop-elf-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AFileThatIsNotElf_IsRefused()
    {
        string path = Write("script", "#!/bin/sh\necho this is a shell script, long enough for an ELF header........\n"u8.ToArray());

        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));

        Assert.Equal($"{path}: not an ELF file", e.Message);
    }

    [Fact]
    public void AShortFile_IsRefused()
    {
        string path = Write("short", [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1]);

        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));

        Assert.Contains("too short for an ELF header", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A32BitFile_IsRefused()
    {
        byte[] header = Header();
        header[4] = 1;
        string path = Write("elf32", header);

        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));

        Assert.Contains("only 64-bit little-endian", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherMachine_IsRefused()
    {
        byte[] header = Header();
        header[18] = 183; // EM_AARCH64
        string path = Write("arm64", header);

        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));

        Assert.Contains("only x86-64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATruncatedBinary_IsRefused()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoHello, stripped: true);
        byte[] bytes = await File.ReadAllBytesAsync(binary);
        // The headers survive; the sections they describe past the cut do not.
        string path = Write("truncated", bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));

        Assert.Contains("outside the file", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(32, 56)] // e_phoff, e_phentsize at 54, e_phnum at 56
    [InlineData(40, 60)] // e_shoff, e_shentsize at 58, e_shnum at 60
    public void HeadersPointingPastTheFile_AreRefused(int offsetField, int countField)
    {
        byte[] header = Header();
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(offsetField), ulong.MaxValue - 7);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(countField - 2), (ushort)(offsetField == 32 ? 56 : 64));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(countField), 1);
        string path = Write("far", header);

        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));

        Assert.Contains("past the end of the file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFile_IsRefusedWithItsPath()
    {
        string path = Path.Join(_directory, "absent");

        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open(path));

        Assert.StartsWith($"cannot open {path}", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A 64-byte ELF64 x86-64 header with no program or section headers.</summary>
    private static byte[] Header()
    {
        byte[] header = new byte[64];
        header[0] = 0x7f;
        header[1] = (byte)'E';
        header[2] = (byte)'L';
        header[3] = (byte)'F';
        header[4] = 2;
        header[5] = 1;
        header[18] = 62;
        return header;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Join(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
