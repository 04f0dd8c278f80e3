using System.Buffers.Binary;
using System.Text;

namespace Traceloop.Tests.Tls;

/// <summary>
/// Writes a <c>.gopclntab</c> in the Go 1.16/1.17 layout (Debian ships one Go toolchain, so no
/// test can build a binary with it): the 64-byte header (magic 0xfffffffa, quantum 1, pointer
/// size 8, nfunc, nfiles, then the offsets of funcnametab, cutab, filetab, pctab and pclntab),
/// the function names, and the pclntab: nfunc rows of (absolute entry, record offset) as 64-bit
/// words and the text's end, then one record per function (absolute entry, int32 name offset,
/// and zeroed fields the reader does not use). Record offsets are from the pclntab's start.
/// </summary>
internal static class Go116PclnTabBuilder
{
    private const int HeaderSize = 64;
    // A 1.16 _func: entry (8), nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset (4 each), funcID, 2 pad, nfuncdata.
    private const int RecordSize = 8 + (8 * 4) + 4;

    /// <summary>
    /// A table of <paramref name="functions"/> (sorted by entry, contiguous: each ends where the
    /// next starts) whose text ends at <paramref name="end"/>.
    /// </summary>
    public static byte[] Build(IReadOnlyList<(string Name, ulong Entry)> functions, ulong end, uint magic = 0xfffffffa)
    {
        var names = new MemoryStream();
        var nameOffsets = new int[functions.Count];
        for (int i = 0; i < functions.Count; i++)
        {
            nameOffsets[i] = (int)names.Length;
            names.Write(Encoding.UTF8.GetBytes(functions[i].Name));
            names.WriteByte(0);
        }
        int nameTable = HeaderSize;
        int pclnTable = Align8(nameTable + (int)names.Length);
        int rows = ((2 * functions.Count) + 1) * 8;
        int records = Align8(rows);
        var table = new byte[pclnTable + records + (functions.Count * RecordSize)];

        BinaryPrimitives.WriteUInt32LittleEndian(table, magic);
        table[6] = 1;
        table[7] = 8;
        Word(table, 8, (ulong)functions.Count);
        Word(table, 16, 0); // nfiles
        Word(table, 24, (ulong)nameTable);
        Word(table, 32, (ulong)table.Length); // cutab, filetab, pctab: empty, at the end
        Word(table, 40, (ulong)table.Length);
        Word(table, 48, (ulong)table.Length);
        Word(table, 56, (ulong)pclnTable);
        names.ToArray().CopyTo(table, nameTable);

        for (int i = 0; i < functions.Count; i++)
        {
            int record = records + (i * RecordSize);
            Word(table, pclnTable + (16 * i), functions[i].Entry);
            Word(table, pclnTable + (16 * i) + 8, (ulong)record);
            Word(table, pclnTable + record, functions[i].Entry);
            BinaryPrimitives.WriteInt32LittleEndian(table.AsSpan(pclnTable + record + 8), nameOffsets[i]);
        }
        Word(table, pclnTable + (16 * functions.Count), end);
        return table;
    }

    /// <summary>
    /// <paramref name="functions"/> as contiguous rows: where one ends before the next starts, a
    /// row named <c>gap.N</c> fills the space, as the real table's other functions would.
    /// </summary>
    public static byte[] BuildWithGaps(IEnumerable<(string Name, ulong Entry, ulong End)> functions)
    {
        var rows = new List<(string Name, ulong Entry)>();
        ulong end = 0;
        foreach ((string name, ulong entry, ulong functionEnd) in functions.OrderBy(f => f.Entry))
        {
            if (rows.Count > 0 && entry > end)
            {
                rows.Add(($"gap.{rows.Count}", end));
            }
            rows.Add((name, entry));
            end = functionEnd;
        }
        return Build(rows, end);
    }

    private static int Align8(int value) => (value + 7) & ~7;

    private static void Word(byte[] table, int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(at), value);
}
