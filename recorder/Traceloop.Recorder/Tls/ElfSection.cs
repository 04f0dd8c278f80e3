namespace Traceloop.Recorder.Tls;

/// <summary>One section header of an ELF file, by its C fields' meaning (sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link).</summary>
internal sealed record ElfSection(string Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link)
{
    /// <summary>The section's virtual address range holds <paramref name="address"/>.</summary>
    public bool Contains(ulong address) => address >= Address && address - Address < Size;
}
