namespace Traceloop.Recorder.Tls;

/// <summary>One symbol of <c>.symtab</c> or (<see cref="Dynamic"/>) <c>.dynsym</c>. A <see cref="SectionIndex"/> of 0 is an undefined (imported) symbol.</summary>
internal readonly record struct ElfSymbol(string Name, ulong Value, ulong Size, ElfSymbolType Type, ushort SectionIndex, bool Dynamic)
{
    public bool IsDefined => SectionIndex != 0;
}

/// <summary>The ELF symbol types this reader tells apart (the low nibble of st_info).</summary>
internal enum ElfSymbolType : byte
{
    NoType = 0,
    Object = 1,
    Func = 2,
    Section = 3,
    File = 4,
}
