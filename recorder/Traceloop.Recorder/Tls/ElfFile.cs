using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// The parts of a 64-bit little-endian x86-64 ELF file that probe placement needs: section
/// headers, the symbols of <c>.symtab</c> and <c>.dynsym</c>, and the <c>PT_LOAD</c> segments that
/// turn a virtual address into the file offset a uprobe is placed at. The file is read in pieces
/// on demand (a container's binary may be hundreds of megabytes); anything that does not fit the
/// layout is an <see cref="ElfFormatException"/> with the reason, never a guess.
/// </summary>
internal sealed class ElfFile : IDisposable
{
    private const ushort EM_X86_64 = 62;
    private const uint SHT_SYMTAB = 2;
    private const uint SHT_NOBITS = 8;
    private const uint SHT_DYNSYM = 11;
    private const uint PT_LOAD = 1;
    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const int SymbolSize = 24;

    // A section read whole (a symbol table, .gopclntab) larger than this is refused rather than allocated:
    // the biggest Go binaries' pclntab is tens of megabytes.
    internal const long MaxSectionRead = 256L << 20;

    private readonly SafeFileHandle _file;

    private ElfFile(SafeFileHandle file, string path, long length)
    {
        _file = file;
        Path = path;
        Length = length;
    }

    public string Path { get; }

    public long Length { get; }

    public IReadOnlyList<ElfSection> Sections { get; private set; } = [];

    public IReadOnlyList<ElfSegment> LoadSegments { get; private set; } = [];

    /// <summary>Opens and checks <paramref name="path"/>; throws <see cref="ElfFormatException"/> when it is not an ELF file this reader handles.</summary>
    public static ElfFile Open(string path)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ElfFormatException($"cannot open {path}: {e.Message}", e);
        }
        var elf = new ElfFile(file, path, RandomAccess.GetLength(file));
        try
        {
            elf.ReadHeaders();
            return elf;
        }
        catch
        {
            elf.Dispose();
            throw;
        }
    }

    public ElfSection? FindSection(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>The bytes of a section as the file holds them (a <c>SHT_NOBITS</c> section such as <c>.bss</c> has none).</summary>
    public byte[] ReadSection(ElfSection section)
    {
        if (section.Type == SHT_NOBITS)
        {
            throw new ElfFormatException($"{Path}: section {section.Name} has no bytes in the file");
        }
        if (section.Size > (ulong)MaxSectionRead)
        {
            throw new ElfFormatException($"{Path}: section {section.Name} is {section.Size} bytes, more than the {MaxSectionRead} read whole");
        }
        return ReadAt((long)section.Offset, (int)section.Size);
    }

    /// <summary>Exactly <paramref name="count"/> bytes at <paramref name="offset"/>, or an <see cref="ElfFormatException"/> when the file ends first.</summary>
    public byte[] ReadAt(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset > Length || count > Length - offset)
        {
            throw new ElfFormatException($"{Path}: {count} bytes at offset {offset} lie outside the file ({Length} bytes)");
        }
        byte[] buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            int n;
            try
            {
                n = RandomAccess.Read(_file, buffer.AsSpan(done), offset + done);
            }
            catch (IOException e)
            {
                throw new ElfFormatException($"{Path}: reading {count} bytes at offset {offset}: {e.Message}", e);
            }
            if (n == 0)
            {
                throw new ElfFormatException($"{Path}: the file ended at {offset + done} while reading {count} bytes at {offset}");
            }
            done += n;
        }
        return buffer;
    }

    /// <summary>
    /// The file offset of virtual address <paramref name="address"/>: uprobes are placed by offset in
    /// the file, and a function's address says where it is mapped, not where it is stored.
    /// </summary>
    public bool TryGetFileOffset(ulong address, out long offset)
    {
        foreach (ElfSegment segment in LoadSegments)
        {
            if (address >= segment.VirtualAddress && address - segment.VirtualAddress < segment.FileSize)
            {
                offset = (long)(segment.Offset + (address - segment.VirtualAddress));
                return true;
            }
        }
        offset = 0;
        return false;
    }

    /// <summary>The symbols of <c>.symtab</c> (absent from stripped binaries), then those of <c>.dynsym</c>.</summary>
    public IEnumerable<ElfSymbol> ReadSymbols()
    {
        foreach (uint type in (uint[])[SHT_SYMTAB, SHT_DYNSYM])
        {
            foreach (ElfSection table in Sections.Where(s => s.Type == type))
            {
                foreach (ElfSymbol symbol in ReadSymbolTable(table))
                {
                    yield return symbol;
                }
            }
        }
    }

    public bool HasSymbolTable => Sections.Any(s => s.Type == SHT_SYMTAB);

    public void Dispose() => _file.Dispose();

    private List<ElfSymbol> ReadSymbolTable(ElfSection table)
    {
        if (table.Link >= Sections.Count)
        {
            throw new ElfFormatException($"{Path}: symbol table {table.Name} names string table {table.Link}, which does not exist");
        }
        byte[] symbols = ReadSection(table);
        byte[] strings = ReadSection(Sections[(int)table.Link]);
        var list = new List<ElfSymbol>(symbols.Length / SymbolSize);
        bool dynamic = table.Type == SHT_DYNSYM;
        for (int at = 0; at + SymbolSize <= symbols.Length; at += SymbolSize)
        {
            ReadOnlySpan<byte> s = symbols.AsSpan(at, SymbolSize);
            uint name = BinaryPrimitives.ReadUInt32LittleEndian(s);
            byte info = s[4];
            ushort sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(s[6..]);
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(s[8..]);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(s[16..]);
            list.Add(new ElfSymbol(CString(strings, name, table.Name), value, size, (ElfSymbolType)(info & 0xf), sectionIndex, dynamic));
        }
        return list;
    }

    private void ReadHeaders()
    {
        if (Length < HeaderSize)
        {
            throw new ElfFormatException($"{Path}: {Length} bytes is too short for an ELF header");
        }
        byte[] header = ReadAt(0, HeaderSize);
        if (header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
        {
            throw new ElfFormatException($"{Path}: not an ELF file");
        }
        if (header[4] != 2 || header[5] != 1)
        {
            throw new ElfFormatException($"{Path}: ELF class {header[4]} data {header[5]}; only 64-bit little-endian is read");
        }
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
        if (machine != EM_X86_64)
        {
            throw new ElfFormatException($"{Path}: ELF machine {machine}; only x86-64 ({EM_X86_64}) is read");
        }
        ulong programHeaders = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
        ulong sectionHeaders = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(40));
        ushort programHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
        ushort programHeaderCount = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
        ushort sectionHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(58));
        ushort sectionHeaderCount = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(60));
        ushort sectionNamesIndex = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(62));

        LoadSegments = ReadProgramHeaders(programHeaders, programHeaderSize, programHeaderCount);
        Sections = ReadSectionHeaders(sectionHeaders, sectionHeaderSize, sectionHeaderCount, sectionNamesIndex);
    }

    private List<ElfSegment> ReadProgramHeaders(ulong at, ushort entrySize, ushort count)
    {
        if (count == 0)
        {
            return [];
        }
        if (entrySize != ProgramHeaderSize)
        {
            throw new ElfFormatException($"{Path}: program header entries of {entrySize} bytes, not {ProgramHeaderSize}");
        }
        if (at > (ulong)Length)
        {
            throw new ElfFormatException($"{Path}: program headers at {at} lie past the end of the file");
        }
        byte[] table = ReadAt((long)at, count * ProgramHeaderSize);
        var segments = new List<ElfSegment>();
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> p = table.AsSpan(i * ProgramHeaderSize, ProgramHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(p) != PT_LOAD)
            {
                continue;
            }
            segments.Add(new ElfSegment(
                Offset: BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
                VirtualAddress: BinaryPrimitives.ReadUInt64LittleEndian(p[16..]),
                FileSize: BinaryPrimitives.ReadUInt64LittleEndian(p[32..]),
                Executable: (BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) & 1) != 0));
        }
        return segments;
    }

    private List<ElfSection> ReadSectionHeaders(ulong at, ushort entrySize, ushort count, ushort namesIndex)
    {
        if (count == 0)
        {
            // Section headers are optional for loading; without them nothing here can be found by name.
            return [];
        }
        if (entrySize != SectionHeaderSize)
        {
            throw new ElfFormatException($"{Path}: section header entries of {entrySize} bytes, not {SectionHeaderSize}");
        }
        if (namesIndex >= count)
        {
            throw new ElfFormatException($"{Path}: section name table index {namesIndex} is past the {count} sections");
        }
        if (at > (ulong)Length)
        {
            throw new ElfFormatException($"{Path}: section headers at {at} lie past the end of the file");
        }
        byte[] table = ReadAt((long)at, count * SectionHeaderSize);
        var raw = new (uint Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link)[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> s = table.AsSpan(i * SectionHeaderSize, SectionHeaderSize);
            raw[i] = (BinaryPrimitives.ReadUInt32LittleEndian(s),
                BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
                BinaryPrimitives.ReadUInt32LittleEndian(s[40..]));
        }
        var namesHeader = raw[namesIndex];
        if (namesHeader.Size > (ulong)MaxSectionRead || namesHeader.Offset > (ulong)Length)
        {
            throw new ElfFormatException($"{Path}: the section name table ({namesHeader.Size} bytes at offset {namesHeader.Offset}) lies outside the file or is too large");
        }
        byte[] names = ReadAt((long)namesHeader.Offset, (int)namesHeader.Size);
        var sections = new List<ElfSection>(count);
        foreach (var s in raw)
        {
            if (s.Type != SHT_NOBITS && (s.Offset > (ulong)Length || s.Size > (ulong)Length - s.Offset))
            {
                throw new ElfFormatException($"{Path}: a section of {s.Size} bytes at offset {s.Offset} lies outside the file");
            }
            sections.Add(new ElfSection(CString(names, s.Name, "section names"), s.Type, s.Flags, s.Address, s.Offset, s.Size, s.Link));
        }
        return sections;
    }

    private string CString(byte[] table, uint start, string tableName)
    {
        if (start >= table.Length)
        {
            throw new ElfFormatException($"{Path}: a name at {start} lies past the end of {tableName} ({table.Length} bytes)");
        }
        int length = table.AsSpan((int)start).IndexOf((byte)0);
        if (length < 0)
        {
            throw new ElfFormatException($"{Path}: a name at {start} in {tableName} is not terminated");
        }
        return Encoding.UTF8.GetString(table, (int)start, length);
    }
}
