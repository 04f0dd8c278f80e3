namespace Traceloop.Recorder.Tls;

/// <summary>
/// Where to probe a Go binary's <c>crypto/tls.(*Conn).Write</c> and <c>Read</c>: each function's
/// entry (arguments in registers) and every RET (results in registers), as file offsets.
/// <see cref="Locate"/> gives sites only when the binary can be trusted (Go 1.17 or later, so
/// the register ABI; both functions found with their bounds; every byte of them decoded) and
/// otherwise a reason that names what failed, to be logged with the binary's path.
/// </summary>
internal sealed record GoTlsProbeSites(string GoVersion, GoFunctionSites Write, GoFunctionSites Read)
{
    public const string WriteFunction = "crypto/tls.(*Conn).Write";
    public const string ReadFunction = "crypto/tls.(*Conn).Read";

    // A (*Conn).Write or Read is a few kilobytes; anything far larger means bounds were misread.
    private const ulong MaxFunctionSize = 1 << 20;

    public static GoTlsProbeSites? Locate(string path, out string? reason)
    {
        try
        {
            using ElfFile elf = ElfFile.Open(path);
            return Locate(elf, out reason);
        }
        catch (ElfFormatException e)
        {
            reason = e.Message;
            return null;
        }
    }

    public static GoTlsProbeSites? Locate(ElfFile elf, out string? reason)
    {
        GoBuildInfo? build = GoBuildInfo.TryRead(elf, out reason);
        if (build is null)
        {
            return null;
        }
        if (!build.HasRegisterAbi)
        {
            reason = $"built with {build.Version}, before Go 1.17's register calling convention";
            return null;
        }
        try
        {
            // .symtab gives exact bounds; a stripped binary has only the runtime's function table.
            GoPclnTab? table = null;
            Dictionary<string, ElfSymbol>? symbols = elf.HasSymbolTable
                ? elf.ReadSymbols().Where(s => !s.Dynamic && s.Type == ElfSymbolType.Func && s.IsDefined && s.Size > 0
                        && s.Name is WriteFunction or ReadFunction)
                    .GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.First())
                : null;
            var sites = new GoFunctionSites[2];
            string[] names = [WriteFunction, ReadFunction];
            for (int i = 0; i < names.Length; i++)
            {
                GoFunction function;
                if (symbols is not null && symbols.TryGetValue(names[i], out ElfSymbol symbol))
                {
                    function = new GoFunction(names[i], symbol.Value, symbol.Value + symbol.Size);
                }
                else
                {
                    table ??= GoPclnTab.TryRead(elf, out reason);
                    if (table is null || !table.TryFind(names[i], out function, out reason))
                    {
                        return null;
                    }
                }
                GoFunctionSites? found = Sites(elf, function, out reason);
                if (found is null)
                {
                    return null;
                }
                sites[i] = found;
            }
            reason = null;
            return new GoTlsProbeSites(build.Version, sites[0], sites[1]);
        }
        catch (ElfFormatException e)
        {
            reason = e.Message;
            return null;
        }
    }

    private static GoFunctionSites? Sites(ElfFile elf, GoFunction function, out string? reason)
    {
        ulong size = function.End - function.Entry;
        if (function.End <= function.Entry || size > MaxFunctionSize)
        {
            reason = $"{function.Name} spans 0x{function.Entry:x}-0x{function.End:x}, which is not a function's size";
            return null;
        }
        // Both ends must lie in one executable segment, so the bytes read are the bytes that run.
        ElfSegment? segment = elf.LoadSegments.Cast<ElfSegment?>().FirstOrDefault(s =>
            s!.Value.Executable && function.Entry >= s.Value.VirtualAddress && function.End - s.Value.VirtualAddress <= s.Value.FileSize);
        if (segment is null || !elf.TryGetFileOffset(function.Entry, out long entry))
        {
            reason = $"{function.Name} at 0x{function.Entry:x}-0x{function.End:x} is not inside one executable segment";
            return null;
        }
        RetSearch rets = RetFinder.Find(elf.ReadAt(entry, (int)size), entry);
        if (!rets.Succeeded)
        {
            reason = $"{function.Name}: {rets.FailureReason}";
            return null;
        }
        reason = null;
        return new GoFunctionSites(function, entry, rets.Offsets);
    }
}
