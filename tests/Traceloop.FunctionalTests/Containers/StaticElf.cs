using System.Buffers.Binary;

namespace Traceloop.FunctionalTests.Containers;

internal static class StaticElf
{
    private const uint PT_INTERP = 3;

    /// <summary>
    /// Rejects a dynamically linked ELF: the rootfs has no loader or libc, and exec would fail inside the container
    /// with a bare "no such file or directory" that names the binary rather than the missing loader.
    /// Files that are not 64-bit little-endian ELF (scripts, data) pass.
    /// </summary>
    public static void EnsureStaticIfElf(string path)
    {
        byte[] header = new byte[64];
        using (var file = File.OpenRead(path))
        {
            if (file.Read(header) < header.Length || !header.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || header[4] != 2 || header[5] != 1)
            {
                return;
            }
            ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(0x20));
            ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x36));
            ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x38));
            byte[] programHeaders = new byte[phentsize * phnum];
            file.Position = (long)phoff;
            file.ReadExactly(programHeaders);
            for (int i = 0; i < phnum; i++)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(programHeaders.AsSpan(i * phentsize)) == PT_INTERP)
                {
                    throw new ArgumentException($"{path} is dynamically linked: build it with gcc -static", nameof(path));
                }
            }
        }
    }
}
