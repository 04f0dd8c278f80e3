using System.Buffers.Binary;
using System.Diagnostics;
using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;

namespace Traceloop.Tests.Tls;

/// <summary>
/// The ELF reader, build info, .gopclntab and probe-site search on Go binaries built by the test
/// (<see cref="BuiltPrograms"/>), once with a symbol table and once with <c>-ldflags=-s -w</c>.
/// </summary>
public sealed class GoBinaryTests
{
    [Fact]
    public async Task PclnTabFindsTheSameEntriesAsTheSymbolTable()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: false);
        using ElfFile elf = ElfFile.Open(binary);
        GoPclnTab? table = GoPclnTab.TryRead(elf, out string? reason);
        Assert.True(table is not null, reason);

        // Every Go function of the symbol table (assembly helpers included) is a row of .gopclntab at the
        // same address, and ends where the symbol ends or after it, in the padding up to the next function.
        ElfSymbol[] functions = [.. elf.ReadSymbols().Where(s => !s.Dynamic && s.Type == ElfSymbolType.Func && s.Size > 0
            && (s.Name.StartsWith("crypto/tls.", StringComparison.Ordinal) || s.Name.StartsWith("main.", StringComparison.Ordinal)))];
        Assert.Contains(functions, f => f.Name == GoTlsProbeSites.WriteFunction);
        Assert.Contains(functions, f => f.Name == GoTlsProbeSites.ReadFunction);
        Assert.True(functions.Length > 100, $"only {functions.Length} crypto/tls and main functions in the symbol table");
        foreach (ElfSymbol symbol in functions)
        {
            Assert.True(table.TryFind(symbol.Name, out GoFunction function, out reason), reason);
            Assert.Equal(symbol.Value, function.Entry);
            Assert.InRange(function.End, symbol.Value + symbol.Size, symbol.Value + symbol.Size + 64);
        }
    }

    [Fact]
    public async Task AStrippedBinaryIsLocatedThroughPclnTab_AtTheSameSitesAsTheUnstrippedOne()
    {
        string full = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: false);
        string stripped = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true);
        using (ElfFile elf = ElfFile.Open(stripped))
        {
            Assert.False(elf.HasSymbolTable);
        }

        GoTlsProbeSites? fromSymbols = GoTlsProbeSites.Locate(full, out string? reason);
        Assert.True(fromSymbols is not null, reason);
        GoTlsProbeSites? fromTable = GoTlsProbeSites.Locate(stripped, out reason);
        Assert.True(fromTable is not null, reason);

        // -s -w drops sections that are not loaded, so the text, and every site in it, is where it was.
        Assert.Equal(fromSymbols.Write.Function.Entry, fromTable.Write.Function.Entry);
        Assert.Equal(fromSymbols.Read.Function.Entry, fromTable.Read.Function.Entry);
        Assert.Equal(fromSymbols.Write.EntryOffset, fromTable.Write.EntryOffset);
        Assert.Equal(fromSymbols.Read.RetOffsets, fromTable.Read.RetOffsets);
        Assert.Equal(fromSymbols.Write.RetOffsets, fromTable.Write.RetOffsets);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EverySiteIsAtTheFunctionsBytes_EntryAndRets(bool stripped)
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped);
        GoTlsProbeSites? sites = GoTlsProbeSites.Locate(binary, out string? reason);
        Assert.True(sites is not null, reason);

        byte[] file = await File.ReadAllBytesAsync(binary);
        foreach (GoFunctionSites function in (GoFunctionSites[])[sites.Write, sites.Read])
        {
            // The entry is Go's stack check against the goroutine in R14 (which the probes read): "cmp 0x10(%r14),%rsp",
            // or for a large frame "lea -N(%rsp),%r12" first. Functions start 32-byte aligned.
            byte[] prologue = file.AsSpan((int)function.EntryOffset, 4).ToArray();
            Assert.True(prologue.SequenceEqual<byte>([0x49, 0x3b, 0x66, 0x10]) || prologue.SequenceEqual<byte>([0x4c, 0x8d, 0x64, 0x24]),
                $"{function.Function.Name} starts with {Convert.ToHexString(prologue)}");
            Assert.Equal(0UL, function.Function.Entry % 32);
            Assert.True(function.RetOffsets.Count >= 2, $"{function.Function.Name}: {function.RetOffsets.Count} RETs");
            Assert.All(function.RetOffsets, offset =>
            {
                Assert.Equal(0xC3, file[offset]);
                Assert.InRange(offset, function.EntryOffset, function.EntryOffset + (long)(function.Function.End - function.Function.Entry) - 1);
            });
        }
    }

    [Fact]
    public async Task AFunctionWithFourReturns_HasFourRets()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true);
        using ElfFile elf = ElfFile.Open(binary);
        GoPclnTab? table = GoPclnTab.TryRead(elf, out string? reason);
        Assert.True(table is not null, reason);
        Assert.True(table.TryFind("main.classify", out GoFunction classify, out reason), reason);
        Assert.True(elf.TryGetFileOffset(classify.Entry, out long offset));

        RetSearch search = RetFinder.Find(elf.ReadAt(offset, (int)(classify.End - classify.Entry)), offset);

        Assert.True(search.Succeeded, search.FailureReason);
        Assert.Equal(4, search.Offsets.Count);
    }

    [Fact]
    public async Task TheBuildInfoGivesTheToolchainsVersion()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true);
        using ElfFile elf = ElfFile.Open(binary);

        GoBuildInfo? build = GoBuildInfo.TryRead(elf, out string? reason);

        Assert.True(build is not null, reason);
        Assert.Equal(await GoVersionAsync(), build.Version);
        Assert.True(build.HasRegisterAbi);
    }

    [Fact]
    public async Task AGoBinaryWithoutCryptoTls_IsSkippedWithItsReason()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoHello, stripped: true);

        GoTlsProbeSites? sites = GoTlsProbeSites.Locate(binary, out string? reason);

        Assert.Null(sites);
        Assert.StartsWith($"{GoTlsProbeSites.WriteFunction} is not in .gopclntab", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APclnTabWithAnUnknownMagic_IsSkippedWithItsReason()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true);
        string copy = Path.Join(Path.GetDirectoryName(binary), "unknown-magic");
        File.Copy(binary, copy, overwrite: true);
        long at;
        using (ElfFile elf = ElfFile.Open(copy))
        {
            at = (long)elf.FindSection(".gopclntab")!.Offset;
        }
        using (FileStream stream = File.OpenWrite(copy))
        {
            stream.Position = at;
            byte[] magic = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(magic, 0xfffffff7);
            stream.Write(magic);
        }

        GoTlsProbeSites? sites = GoTlsProbeSites.Locate(copy, out string? reason);

        Assert.Null(sites);
        Assert.Equal(".gopclntab has unknown magic 0xfffffff7", reason);
    }

    [Fact]
    public async Task TheTextSectionMapsToItsFileOffset()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: false);
        using ElfFile elf = ElfFile.Open(binary);
        ElfSection text = elf.FindSection(".text")!;

        Assert.True(elf.TryGetFileOffset(text.Address + 5, out long offset));
        Assert.Equal((long)text.Offset + 5, offset);
        // .bss takes memory but no file bytes, so no offset.
        ElfSection bss = elf.FindSection(".bss")!;
        Assert.False(elf.TryGetFileOffset(bss.Address + bss.Size - 1, out _));
    }

    private static async Task<string> GoVersionAsync()
    {
        string go = File.Exists("/usr/bin/go") ? "/usr/bin/go" : "/usr/lib/go/bin/go";
        var startInfo = new ProcessStartInfo(go, ["env", "GOVERSION"]) { RedirectStandardOutput = true, UseShellExecute = false };
        startInfo.Environment["GOTOOLCHAIN"] = "local";
        using var process = Process.Start(startInfo)!;
        string version = await process.StandardOutput.ReadToEndAsync().WaitAsync(BuiltPrograms.BuildTimeout);
        await process.WaitForExitAsync().WaitAsync(BuiltPrograms.BuildTimeout);
        return version.Trim();
    }
}
