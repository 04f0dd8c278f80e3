using System.Buffers.Binary;
using System.Text;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// Go's function table, <c>.gopclntab</c>. It survives <c>-ldflags=-s -w</c> because the runtime
/// needs it for stack traces, so it is how a stripped binary's <c>crypto/tls.(*Conn).Write</c> is
/// found. Two layouts are read: Go 1.18 and later (magic 0xfffffff0, and 0xfffffff1 from 1.20,
/// whose header and tables are the same), and Go 1.16/1.17 (magic 0xfffffffa), which matters for
/// Go 1.17, the first release with the register ABI. Every offset is checked against the section
/// before it is followed; a table that does not hold together is refused with the reason.
/// </summary>
/// <remarks>
/// Both layouts start with magic, two zero bytes, the instruction quantum, the pointer size and
/// then pointer-sized words: the function count, the file count, and offsets (from the table's
/// start) of the sub-tables. They differ in three places:
/// <list type="bullet">
/// <item>1.18 inserts the text start as the third word, so the function-name table is word 3 and
/// the function table word 7; in 1.16 they are words 2 and 6.</item>
/// <item>1.18's function table rows are (entry, record offset) pairs of uint32, entries relative
/// to the text start; 1.16's rows are pointer-sized, entries absolute addresses.</item>
/// <item>A function's record starts with its entry (uint32 offset in 1.18, an absolute pointer
/// in 1.16) followed by the int32 offset of its name in the name table.</item>
/// </list>
/// </remarks>
internal sealed class GoPclnTab
{
    private const uint Magic118 = 0xfffffff0;
    private const uint Magic120 = 0xfffffff1;
    private const uint Magic116 = 0xfffffffa;
    // Go 1.2-1.15: older than the register ABI, so never worth reading; named in the refusal.
    private const uint Magic12 = 0xfffffffb;
    private const int PointerSize = 8;

    private readonly byte[] _table;
    private readonly int _functionCount;
    private readonly int _nameTable;
    private readonly int _functionTable;
    private readonly Layout _layout;
    // What a row's entry is relative to: the text start in 1.18, nothing (absolute) in 1.16.
    private readonly ulong _entryBase;

    private GoPclnTab(byte[] table, Layout layout, int functionCount, int nameTable, int functionTable, ulong entryBase)
    {
        _table = table;
        _layout = layout;
        _functionCount = functionCount;
        _nameTable = nameTable;
        _functionTable = functionTable;
        _entryBase = entryBase;
    }

    public int FunctionCount => _functionCount;

    /// <summary>"1.18" or "1.16": which of the two layouts the table has.</summary>
    public string LayoutName => _layout.Name;

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
        if (table.Length < 8)
        {
            reason = $".gopclntab of {table.Length} bytes is shorter than its header";
            return null;
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(table);
        Layout? layout = magic switch
        {
            Magic118 or Magic120 => Layout.Go118,
            Magic116 => Layout.Go116,
            _ => null,
        };
        if (layout is null)
        {
            reason = magic == Magic12
                ? ".gopclntab has the Go 1.2-1.15 layout (magic 0xfffffffb), which predates the register ABI"
                : $".gopclntab has unknown magic 0x{magic:x8}";
            return null;
        }
        if (table.Length < layout.HeaderSize)
        {
            reason = $".gopclntab of {table.Length} bytes is shorter than its Go {layout.Name} header";
            return null;
        }
        if (table[4] != 0 || table[5] != 0 || table[6] != 1 || table[7] != PointerSize)
        {
            reason = $".gopclntab header gives instruction quantum {table[6]} and pointer size {table[7]}; x86-64 has 1 and 8";
            return null;
        }
        ulong functionCount = Word(table, 0);
        ulong nameTable = Word(table, layout.NameTableWord);
        ulong functionTable = Word(table, layout.FunctionTableWord);
        // The function table is nfunc (entry, record offset) rows and a closing entry: the end of the text.
        ulong rowField = (ulong)layout.RowField;
        ulong rowSize = 2 * rowField;
        if (functionCount == 0 || functionTable >= (ulong)table.Length || nameTable >= (ulong)table.Length
            || functionCount > ((ulong)table.Length - functionTable - rowField) / rowSize)
        {
            reason = $".gopclntab header ({functionCount} functions, function table at {functionTable}, names at {nameTable}) does not fit its {table.Length} bytes";
            return null;
        }
        ulong entryBase = 0;
        if (layout == Layout.Go118)
        {
            if (!TryTextStart(Word(table, 2), text, out entryBase, out reason))
            {
                return null;
            }
        }
        else if (!CheckAbsoluteEntries(table, (int)functionTable, (int)functionCount, text, out reason))
        {
            return null;
        }
        reason = null;
        return new GoPclnTab(table, layout, (int)functionCount, (int)nameTable, (int)functionTable, entryBase);
    }

    /// <summary>
    /// The address range of function <paramref name="name"/>: its entry, and the next function's
    /// entry as its end (Go pads between functions with INT3, which decodes as instructions).
    /// </summary>
    public bool TryFind(string name, out GoFunction function, out string? reason)
    {
        byte[] wanted = Encoding.UTF8.GetBytes(name);
        ulong previousEntry = 0;
        for (int i = 0; i < _functionCount; i++)
        {
            ulong entry = Row(i, 0);
            ulong recordOffset = Row(i, 1);
            if (entry < previousEntry)
            {
                function = default;
                reason = $".gopclntab function table is not sorted at row {i}";
                return false;
            }
            previousEntry = entry;
            if (!NameIs(recordOffset, wanted, out reason))
            {
                if (reason is not null)
                {
                    function = default;
                    return false;
                }
                continue;
            }
            ulong end = Row(i + 1, 0);
            ulong recordEntry = _layout.RowField == 4
                ? BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(_functionTable + (int)recordOffset))
                : BinaryPrimitives.ReadUInt64LittleEndian(_table.AsSpan(_functionTable + (int)recordOffset));
            if (end <= entry || recordEntry != entry)
            {
                function = default;
                reason = $".gopclntab row {i} for {name} gives entry 0x{entry:x}, end 0x{end:x} and a record entry of 0x{recordEntry:x}";
                return false;
            }
            function = new GoFunction(name, _entryBase + entry, _entryBase + end);
            return true;
        }
        function = default;
        reason = $"{name} is not in .gopclntab ({_functionCount} functions)";
        return false;
    }

    /// <summary>
    /// Go 1.18's text start. Position-independent binaries leave it to a relocation (0 in the
    /// file), so it is taken from <c>.text</c>; a non-zero value that disagrees is refused.
    /// </summary>
    private static bool TryTextStart(ulong fromTable, ElfSection? text, out ulong textStart, out string? reason)
    {
        textStart = fromTable;
        reason = null;
        if (text is not null && fromTable != text.Address)
        {
            if (fromTable != 0)
            {
                reason = $".gopclntab says the text starts at 0x{fromTable:x}, the .text section at 0x{text.Address:x}";
                return false;
            }
            textStart = text.Address;
        }
        else if (text is null && fromTable == 0)
        {
            reason = ".gopclntab leaves the text start to a relocation and there is no .text section to take it from";
            return false;
        }
        return true;
    }

    /// <summary>
    /// Go 1.16's rows hold absolute addresses, which a position-independent binary leaves to
    /// relocations (zeros in the file, with no text start to add back), so the first and last
    /// entries must lie in <c>.text</c>; without a <c>.text</c> there is nothing to check them by.
    /// </summary>
    private static bool CheckAbsoluteEntries(byte[] table, int functionTable, int functionCount, ElfSection? text, out string? reason)
    {
        if (text is null)
        {
            reason = ".gopclntab has the Go 1.16 layout (absolute addresses) and there is no .text section to check them against";
            return false;
        }
        ulong first = Word(table, functionTable, 0);
        ulong last = Word(table, functionTable, 2 * (functionCount - 1));
        if (!text.Contains(first) || !text.Contains(last))
        {
            reason = first == 0
                ? ".gopclntab has the Go 1.16 layout with its addresses left to relocations (a position-independent binary), which is not read"
                : $".gopclntab function table runs from 0x{first:x} to 0x{last:x}, outside .text at 0x{text.Address:x}-0x{text.Address + text.Size:x}";
            return false;
        }
        reason = null;
        return true;
    }

    /// <summary>Field <paramref name="field"/> (0: entry, 1: record offset) of function table row <paramref name="row"/>.</summary>
    private ulong Row(int row, int field)
    {
        int at = _functionTable + (((2 * row) + field) * _layout.RowField);
        return _layout.RowField == 4
            ? BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(at))
            : BinaryPrimitives.ReadUInt64LittleEndian(_table.AsSpan(at));
    }

    /// <summary>Whether the record at <paramref name="recordOffset"/> names <paramref name="wanted"/>; a record that points outside the table sets <paramref name="reason"/>.</summary>
    private bool NameIs(ulong recordOffset, byte[] wanted, out string? reason)
    {
        ulong record = (ulong)_functionTable + recordOffset;
        if (recordOffset > int.MaxValue || record + (ulong)_layout.NameField + 4 > (ulong)_table.Length)
        {
            reason = $".gopclntab has a function record at {record}, past its end";
            return false;
        }
        int nameOffset = BinaryPrimitives.ReadInt32LittleEndian(_table.AsSpan((int)record + _layout.NameField));
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

    /// <summary>Header word <paramref name="index"/> (after the 8 bytes of magic, quantum and pointer size).</summary>
    private static ulong Word(byte[] table, int index) => Word(table, 8, index);

    private static ulong Word(byte[] table, int start, int index) =>
        BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(start + (index * PointerSize)));

    /// <param name="Name">The first release with the layout.</param>
    /// <param name="NameTableWord">Header word holding the function-name table's offset.</param>
    /// <param name="FunctionTableWord">Header word holding the function table's offset; records are at offsets from it too.</param>
    /// <param name="RowField">Size of each field of a function table row, and of a record's entry (so a record's name offset follows at this offset).</param>
    private sealed record Layout(string Name, int NameTableWord, int FunctionTableWord, int RowField)
    {
        public static readonly Layout Go118 = new("1.18", NameTableWord: 3, FunctionTableWord: 7, RowField: 4);
        public static readonly Layout Go116 = new("1.16", NameTableWord: 2, FunctionTableWord: 6, RowField: PointerSize);

        public int NameField => RowField;

        // Magic, quantum, pointer size, then words up to and including the function table's offset.
        public int HeaderSize => 8 + ((FunctionTableWord + 1) * PointerSize);
    }
}
