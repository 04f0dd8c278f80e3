using System.Text;

namespace Traceloop.Recorder.Tls;

/// <summary>What a program's executable is to the TLS probes.</summary>
internal enum GoTlsVerdictKind
{
    /// <summary>Not a Go binary (or not an ELF this reads): nothing to probe, nothing to say.</summary>
    NotGo,

    /// <summary>A Go binary without crypto/tls: nothing to probe, and not a skip.</summary>
    NoCryptoTls,

    /// <summary>A Go binary whose crypto/tls was located: probe it at <see cref="GoTlsVerdict.Sites"/>.</summary>
    Probe,

    /// <summary>A Go binary that may use crypto/tls but whose functions cannot be located with trust: skipped, with the reason.</summary>
    Skip,
}

internal sealed record GoTlsVerdict(GoTlsVerdictKind Kind, GoTlsProbeSites? Sites = null, string? Reason = null);

/// <summary>
/// Decides whether an executable is a Go program to probe, one to leave alone, or one to skip
/// with a reason. A skip is kept for binaries that may well use crypto/tls: ones whose symbols or
/// function table name it, or whose function table is missing or unreadable so nobody can tell.
/// A Go program that plainly has no crypto/tls is not a skip: it has nothing to record.
/// </summary>
internal static class GoTlsBinary
{
    private static readonly byte[] WriteName = Encoding.UTF8.GetBytes(GoTlsProbeSites.WriteFunction + "\0");

    public static GoTlsVerdict Inspect(string path)
    {
        try
        {
            using ElfFile elf = ElfFile.Open(path);
            if (elf.FindSection(".go.buildinfo") is null)
            {
                return new GoTlsVerdict(GoTlsVerdictKind.NotGo);
            }
            GoTlsProbeSites? sites = GoTlsProbeSites.Locate(elf, out string? reason);
            if (sites is not null)
            {
                return new GoTlsVerdict(GoTlsVerdictKind.Probe, sites);
            }
            return MayUseCryptoTls(elf)
                ? new GoTlsVerdict(GoTlsVerdictKind.Skip, Reason: reason)
                : new GoTlsVerdict(GoTlsVerdictKind.NoCryptoTls);
        }
        catch (ElfFormatException)
        {
            // Another architecture, a script's interpreter we cannot read, a file cut short: not a Go binary we could probe anyway.
            return new GoTlsVerdict(GoTlsVerdictKind.NotGo);
        }
    }

    private static bool MayUseCryptoTls(ElfFile elf)
    {
        try
        {
            if (elf.HasSymbolTable && elf.ReadSymbols().Any(s => !s.Dynamic && s.Name.StartsWith("crypto/tls.", StringComparison.Ordinal)))
            {
                return true;
            }
            // Function names live only in the runtime's table; without a table nobody can tell.
            ElfSection? table = elf.FindSection(".gopclntab") ?? elf.FindSection(".data.rel.ro.gopclntab");
            return table is null || elf.ReadSection(table).AsSpan().IndexOf(WriteName) >= 0;
        }
        catch (ElfFormatException)
        {
            return true;
        }
    }
}
