using System.Buffers.Binary;
using System.Text;

namespace Traceloop.TestCommon.Tls;

/// <summary>Edits of an ELF file's section headers that leave the program running as before (the loader reads segments, not sections).</summary>
public static class ElfSections
{
    /// <summary>Renames a section of a 64-bit little-endian ELF in place, in its section name table (the new name as long as the old).</summary>
    public static void Rename(string path, string from, string to)
    {
        if (from.Length != to.Length)
        {
            throw new ArgumentException($"'{to}' must be as long as '{from}'", nameof(to));
        }
        byte[] elf = File.ReadAllBytes(path);
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(elf.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3a));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3c));
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3e));
        // sh_offset of the section name table; each header's sh_name is an offset into it.
        long names = BinaryPrimitives.ReadInt64LittleEndian(elf.AsSpan((int)(shoff + (shstrndx * shentsize) + 0x18)));
        byte[] wanted = Encoding.ASCII.GetBytes(from + "\0");
        for (int i = 0; i < shnum; i++)
        {
            int name = (int)names + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan((int)(shoff + (i * shentsize))));
            if (elf.AsSpan(name, wanted.Length).SequenceEqual(wanted))
            {
                Encoding.ASCII.GetBytes(to).CopyTo(elf, name);
                File.WriteAllBytes(path, elf);
                return;
            }
        }
        throw new InvalidOperationException($"{path} has no section {from}");
    }
}
