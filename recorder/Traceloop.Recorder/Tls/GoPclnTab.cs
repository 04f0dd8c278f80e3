using System.Buffers.Binary;
using System.Text;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// Go's function table, <c>.gopclntab</c>, in the layout of Go 1.18 and later (magic 0xfffffff0,
/// and 0xfffffff1 from 1.20, whose header and tables are the same). It survives
/// <c>-ldflags=-s -w</c> because the runtime needs it for stack traces, so it is how a stripped
/// binary's <c>crypto/tls.(*Conn).Write</c> is found. Every offset is checked against the section
/// before it is followed; a table that does not hold together is refused with the reason.
/// </summary>
internal sealed class GoPclnTab
{
    private const uint Magic118 = 0xfffffff0;
    private const uint Magic120 = 0xfffffff1;
    // Go 1.2, 1.16 (also used by 1.17): other layouts, named in the refusal.
    private const uint Magic12 = 0xfffffffb;
    private const uint Magic116 = 0xfffffffa;
    private const int HeaderSize = 72;
    private const int FuncHeaderSize = 8;

    private readonly byte[] _table;
    private readonly int _functionCount;
    private readonly ulong _textStart;
    private readonly int _nameTable;
    private readonly int _functionTable;

    private GoPclnTab(byte[] table, int functionCount, ulong textStart, int nameTable, int functionTable)
    {
        _table = table;
        _functionCount = functionCount;
        _textStart = textStart;
        _nameTable = nameTable;
        _functionTable = functionTable;
    }

    public int FunctionCount => _functionCount;

    /// <summary>Reads the table of <paramref name="elf"/>, or gives null and the reason it cannot be trusted.</summary>
    public static GoPclnTab? TryRead(ElfFile elf, out string? reason)
    {
        // A position-independent or externally linked binary keeps the table in read-only relocated data.
        ElfSection? section = elf.FindSection(".gopclntab") ?? elf.FindSection(".data.rel.ro.gopclntab");
        if (section is null)
        {
            reason = "no .gopclntab section";
            return null;
        }
        try
        {
            return TryParse(elf.ReadSection(section), elf.FindSection(".text"), out reason);
        }
        catch (ElfFormatException e)
        {
            reason = e.Message;
            return null;
        }
    }

    internal static GoPclnTab? TryParse(byte[] table, ElfSection? text, out string? reason)
    {
        if (table.Length < HeaderSize)
        {
            reason = $".gopclntab of {table.Length} bytes is shorter than its header";
            return null;
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(table);
        if (magic is not (Magic118 or Magic120))
        {
            reason = magic switch
            {
                Magic116 => ".gopclntab has the Go 1.16/1.17 layout (magic 0xfffffffa), which is not read",
                Magic12 => ".gopclntab has the Go 1.2-1.15 layout (magic 0xfffffffb), which predates the register ABI",
                _ => $".gopclntab has unknown magic 0x{magic:x8}",
            };
            return null;
        }
        if (table[4] != 0 || table[5] != 0 || table[6] != 1 || table[7] != 8)
        {
            reason = $".gopclntab header gives instruction quantum {table[6]} and pointer size {table[7]}; x86-64 has 1 and 8";
            return null;
        }
        ulong functionCount = Word(table, 8);
        ulong textStart = Word(table, 24);
        ulong nameTable = Word(table, 32);
        ulong functionTable = Word(table, 64);
        // The function table is nfunc (entry, _func offset) pairs of uint32 and a closing entry: the end of the text.
        if (functionCount == 0 || functionTable >= (ulong)table.Length || nameTable >= (ulong)table.Length
            || functionCount > ((ulong)table.Length - functionTable - 4) / 8)
        {
            reason = $".gopclntab header ({functionCount} functions, function table at {functionTable}, names at {nameTable}) does not fit its {table.Length} bytes";
            return null;
        }
        if (text is not null && textStart != text.Address)
        {
            // Position-independent binaries leave the field for a relocation to fill: 0 in the file.
            if (textStart != 0)
            {
                reason = $".gopclntab says the text starts at 0x{textStart:x}, the .text section at 0x{text.Address:x}";
                return null;
            }
            textStart = text.Address;
        }
        else if (text is null && textStart == 0)
        {
            reason = ".gopclntab leaves the text start to a relocation and there is no .text section to take it from";
            return null;
        }
        reason = null;
        return new GoPclnTab(table, (int)functionCount, textStart, (int)nameTable, (int)functionTable);
    }

    /// <summary>
    /// The address range of function <paramref name="name"/>: its entry, and the next function's
    /// entry as its end (Go pads between functions with INT3, which decodes as instructions).
    /// </summary>
    public bool TryFind(string name, out GoFunction function, out string? reason)
    {
        byte[] wanted = Encoding.UTF8.GetBytes(name);
        uint previousEntry = 0;
        for (int i = 0; i < _functionCount; i++)
        {
            int row = _functionTable + (i * 8);
            uint entry = BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(row));
            uint funcOffset = BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(row + 4));
            if (entry < previousEntry)
            {
                function = default;
                reason = $".gopclntab function table is not sorted at row {i}";
                return false;
            }
            previousEntry = entry;
            if (!NameIs(funcOffset, wanted, out reason))
            {
                if (reason is not null)
                {
                    function = default;
                    return false;
                }
                continue;
            }
            uint end = BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(row + 8));
            uint funcEntry = BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(_functionTable + (int)funcOffset));
            if (end <= entry || funcEntry != entry)
            {
                function = default;
                reason = $".gopclntab row {i} for {name} gives entry 0x{entry:x}, end 0x{end:x} and a record entry of 0x{funcEntry:x}";
                return false;
            }
            function = new GoFunction(name, _textStart + entry, _textStart + end);
            return true;
        }
        function = default;
        reason = $"{name} is not in .gopclntab ({_functionCount} functions)";
        return false;
    }

    /// <summary>Whether the _func record at <paramref name="funcOffset"/> names <paramref name="wanted"/>; a record that points outside the table sets <paramref name="reason"/>.</summary>
    private bool NameIs(uint funcOffset, byte[] wanted, out string? reason)
    {
        long record = (long)_functionTable + funcOffset;
        if (record + FuncHeaderSize > _table.Length)
        {
            reason = $".gopclntab has a function record at {record}, past its end";
            return false;
        }
        int nameOffset = BinaryPrimitives.ReadInt32LittleEndian(_table.AsSpan((int)record + 4));
        long at = (long)_nameTable + nameOffset;
        if (nameOffset < 0 || at + wanted.Length + 1 > _table.Length)
        {
            reason = at < _table.Length && nameOffset >= 0 ? null : $".gopclntab has a function name at {at}, outside the table";
            return false;
        }
        reason = null;
        ReadOnlySpan<byte> candidate = _table.AsSpan((int)at, wanted.Length + 1);
        return candidate[wanted.Length] == 0 && candidate[..wanted.Length].SequenceEqual(wanted);
    }

    private static ulong Word(byte[] table, int at) => BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(at));
}
