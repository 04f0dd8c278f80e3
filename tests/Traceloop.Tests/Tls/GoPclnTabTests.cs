using System.Text;
using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;

namespace Traceloop.Tests.Tls;

/// <summary>
/// The Go 1.16/1.17 layout of <c>.gopclntab</c>, read from tables written by
/// <see cref="Go116PclnTabBuilder"/> with the functions, addresses and bounds that the Go 1.18+
/// reader finds in a binary built by <c>go build</c>, so both readers must agree on real data.
/// </summary>
public sealed class GoPclnTabTests
{
    [Fact]
    public async Task AGo116Table_GivesEveryFunctionTheBoundsTheGo118TableGives()
    {
        string binary = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: false);
        using ElfFile elf = ElfFile.Open(binary);
        GoPclnTab? modern = GoPclnTab.TryRead(elf, out string? reason);
        Assert.True(modern is not null, reason);
        Assert.Equal("1.18", modern.LayoutName);
        string[] names = [.. elf.ReadSymbols().Where(s => !s.Dynamic && s.Type == ElfSymbolType.Func && s.Size > 0
                && (s.Name.StartsWith("crypto/tls.", StringComparison.Ordinal) || s.Name.StartsWith("main.", StringComparison.Ordinal)))
            .Select(s => s.Name).Distinct()];
        Assert.True(names.Length > 100, $"only {names.Length} crypto/tls and main functions");
        var expected = new List<GoFunction>();
        foreach (string name in names)
        {
            Assert.True(modern.TryFind(name, out GoFunction function, out reason), reason);
            expected.Add(function);
        }

        byte[] bytes = Go116PclnTabBuilder.BuildWithGaps(expected.Select(f => (f.Name, f.Entry, f.End)));
        GoPclnTab? old = GoPclnTab.TryParse(bytes, elf.FindSection(".text"), out reason);

        Assert.True(old is not null, reason);
        Assert.Equal("1.16", old.LayoutName);
        foreach (GoFunction function in expected)
        {
            Assert.True(old.TryFind(function.Name, out GoFunction found, out reason), reason);
            Assert.Equal(function, found);
        }
        Assert.False(old.TryFind("crypto/tls.(*Conn).NoSuchMethod", out _, out reason));
        Assert.StartsWith("crypto/tls.(*Conn).NoSuchMethod is not in .gopclntab", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStrippedGo117Binary_IsLocatedThroughItsGo116Table_AtTheSitesOfTheGo118One()
    {
        string stripped = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true);
        GoTlsProbeSites? modern = GoTlsProbeSites.Locate(stripped, out string? reason);
        Assert.True(modern is not null, reason);

        string go117 = await RewriteAsync(stripped, "go117-stripped", "1.17", modern);
        GoTlsProbeSites? fromOldTable = GoTlsProbeSites.Locate(go117, out reason);

        Assert.True(fromOldTable is not null, reason);
        Assert.StartsWith("go1.17", fromOldTable.GoVersion, StringComparison.Ordinal);
        Assert.Equal(modern.Write, fromOldTable.Write, SitesComparer.Instance);
        Assert.Equal(modern.Read, fromOldTable.Read, SitesComparer.Instance);
    }

    [Fact]
    public async Task AGo116Binary_IsStillSkippedForItsStackAbi()
    {
        string stripped = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true);
        GoTlsProbeSites? modern = GoTlsProbeSites.Locate(stripped, out string? reason);
        Assert.True(modern is not null, reason);

        string go116 = await RewriteAsync(stripped, "go116-stripped", "1.16", modern);
        GoTlsProbeSites? sites = GoTlsProbeSites.Locate(go116, out reason);

        Assert.Null(sites);
        Assert.Matches(@"^built with go1\.16\S*, before Go 1\.17's register calling convention$", reason);
    }

    [Fact]
    public void AGo116TableWhoseAddressesAreLeftToRelocations_IsRefused()
    {
        var text = new ElfSection(".text", 1, 6, 0x401000, 0x1000, 0x10000, 0);
        byte[] bytes = Go116PclnTabBuilder.Build([("main.main", 0), ("main.f", 0)], 0);

        Assert.Null(GoPclnTab.TryParse(bytes, text, out string? reason));
        Assert.Equal(".gopclntab has the Go 1.16 layout with its addresses left to relocations (a position-independent binary), which is not read", reason);
    }

    [Fact]
    public void AGo116TableOutsideTheText_IsRefused()
    {
        var text = new ElfSection(".text", 1, 6, 0x401000, 0x1000, 0x10000, 0);
        byte[] bytes = Go116PclnTabBuilder.Build([("main.main", 0x401000), ("main.f", 0x500000)], 0x500100);

        Assert.Null(GoPclnTab.TryParse(bytes, text, out string? reason));
        Assert.Equal(".gopclntab function table runs from 0x401000 to 0x500000, outside .text at 0x401000-0x411000", reason);
    }

    [Fact]
    public void AGo116TableWithANameOutsideIt_IsRefused()
    {
        var text = new ElfSection(".text", 1, 6, 0x401000, 0x1000, 0x10000, 0);
        byte[] bytes = Go116PclnTabBuilder.Build([("main.main", 0x401000), ("main.f", 0x401100)], 0x401200);
        // The first record's name offset (8 bytes into the record) now points past the table.
        int pcln = (int)BitConverter.ToUInt64(bytes, 56);
        int record = (int)BitConverter.ToUInt64(bytes, pcln + 8);
        BitConverter.TryWriteBytes(bytes.AsSpan(pcln + record + 8), 1 << 20);
        GoPclnTab? table = GoPclnTab.TryParse(bytes, text, out string? reason);
        Assert.True(table is not null, reason);

        Assert.False(table.TryFind("main.f", out _, out reason));
        Assert.StartsWith(".gopclntab has a function name at", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xfffffffbu, ".gopclntab has the Go 1.2-1.15 layout (magic 0xfffffffb), which predates the register ABI")]
    [InlineData(0xfffffff7u, ".gopclntab has unknown magic 0xfffffff7")]
    public void AnOlderOrUnknownLayout_IsRefusedByName(uint magic, string expected)
    {
        var text = new ElfSection(".text", 1, 6, 0x401000, 0x1000, 0x10000, 0);
        byte[] bytes = Go116PclnTabBuilder.Build([("main.main", 0x401000)], 0x401100, magic);

        Assert.Null(GoPclnTab.TryParse(bytes, text, out string? reason));
        Assert.Equal(expected, reason);
    }

    /// <summary>
    /// A copy of <paramref name="binary"/> as if built by Go <paramref name="release"/>: the build
    /// info names that release, and .gopclntab is replaced, in place, by a 1.16-layout table of the
    /// two crypto/tls functions at the bounds <paramref name="sites"/> found.
    /// </summary>
    private static async Task<string> RewriteAsync(string binary, string name, string release, GoTlsProbeSites sites)
    {
        string copy = Path.Join(Path.GetDirectoryName(binary), name);
        File.Copy(binary, copy, overwrite: true);
        long tableAt, tableSize, infoAt, infoSize;
        using (ElfFile elf = ElfFile.Open(copy))
        {
            ElfSection table = elf.FindSection(".gopclntab")!;
            ElfSection buildInfo = elf.FindSection(".go.buildinfo")!;
            (tableAt, tableSize, infoAt, infoSize) = ((long)table.Offset, (long)table.Size, (long)buildInfo.Offset, (long)buildInfo.Size);
        }
        byte[] old = Go116PclnTabBuilder.BuildWithGaps(
            [.. ((GoFunctionSites[])[sites.Write, sites.Read]).Select(s => (s.Function.Name, s.Function.Entry, s.Function.End))]);
        Assert.True(old.Length <= tableSize);

        // "go1.19.8" becomes "go1.17.8": the same length, so the varint before it still holds.
        string version = sites.GoVersion;
        int minorEnd = version.IndexOf('.', "go1.".Length) is int dot and > 0 ? dot : version.Length;
        string rewritten = $"go{release}{version[minorEnd..]}";
        Assert.Equal(version.Length, rewritten.Length);

        await using FileStream stream = File.Open(copy, FileMode.Open, FileAccess.ReadWrite);
        var info = new byte[infoSize];
        stream.Position = infoAt;
        await stream.ReadExactlyAsync(info);
        int versionAt = info.AsSpan().IndexOf(Encoding.ASCII.GetBytes(version));
        Assert.True(versionAt > 0, $"{version} is not in .go.buildinfo");
        stream.Position = infoAt + versionAt;
        await stream.WriteAsync(Encoding.ASCII.GetBytes(rewritten));
        stream.Position = tableAt;
        await stream.WriteAsync(old);
        return copy;
    }

    private sealed class SitesComparer : IEqualityComparer<GoFunctionSites>
    {
        public static readonly SitesComparer Instance = new();

        public bool Equals(GoFunctionSites? x, GoFunctionSites? y) =>
            x is not null && y is not null && x.Function == y.Function && x.EntryOffset == y.EntryOffset && x.RetOffsets.SequenceEqual(y.RetOffsets);

        public int GetHashCode(GoFunctionSites obj) => obj.Function.GetHashCode();
    }
}
