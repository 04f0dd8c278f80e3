using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;

namespace Traceloop.Tests.Tls;

/// <summary>
/// What the TLS service makes of an executable: not Go, Go without crypto/tls (no skip: nothing to
/// record), Go to probe, or Go to skip with a reason, on binaries built by <c>go build</c>.
/// </summary>
public sealed class GoTlsBinaryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("traceloop-gotls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AnExecutableThatIsNotGo_IsNotGo()
    {
        Assert.Equal(GoTlsVerdictKind.NotGo, GoTlsBinary.Inspect(Environment.ProcessPath!).Kind);
    }

    [Fact]
    public void AFileThatIsNotElf_IsNotGo_NotAnError()
    {
        string text = Path.Join(_directory, "script");
        File.WriteAllText(text, "#!/bin/sh\necho hello\n");

        Assert.Equal(GoTlsVerdictKind.NotGo, GoTlsBinary.Inspect(text).Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AGoProgramWithoutCryptoTls_IsNoSkip(bool stripped)
    {
        string hello = await BuiltPrograms.GoAsync(BuiltPrograms.GoHello, stripped);

        GoTlsVerdict verdict = GoTlsBinary.Inspect(hello);

        Assert.Equal(GoTlsVerdictKind.NoCryptoTls, verdict.Kind);
        Assert.Null(verdict.Sites);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AGoTlsClient_IsProbedAtItsWriteAndRead(bool stripped)
    {
        string client = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped);

        GoTlsVerdict verdict = GoTlsBinary.Inspect(client);

        Assert.Equal(GoTlsVerdictKind.Probe, verdict.Kind);
        Assert.Equal(GoTlsProbeSites.WriteFunction, verdict.Sites!.Write.Function.Name);
        Assert.NotEmpty(verdict.Sites.Read.RetOffsets);
    }

    [Fact]
    public async Task AStrippedGoTlsClientWithoutItsFunctionTable_IsSkippedWithTheReason()
    {
        string odd = Path.Join(_directory, "odd");
        File.Copy(await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true), odd);
        ElfSections.Rename(odd, ".gopclntab", ".xxpclntab");

        GoTlsVerdict verdict = GoTlsBinary.Inspect(odd);

        Assert.Equal(GoTlsVerdictKind.Skip, verdict.Kind);
        Assert.Equal("no .gopclntab section", verdict.Reason);
    }

    [Fact]
    public async Task AGoTlsClientWhoseTableIsDamaged_IsSkipped_ButAHelloWorldWithTheSameDamageIsToo_ForNobodyCanTell()
    {
        // Damaged past reading, a table cannot say what the program holds: both are skipped, never probed.
        string client = Path.Join(_directory, "client");
        string hello = Path.Join(_directory, "hello");
        File.Copy(await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true), client);
        File.Copy(await BuiltPrograms.GoAsync(BuiltPrograms.GoHello, stripped: true), hello);
        ElfSections.Rename(client, ".gopclntab", ".xxpclntab");
        ElfSections.Rename(hello, ".gopclntab", ".xxpclntab");

        Assert.Equal(GoTlsVerdictKind.Skip, GoTlsBinary.Inspect(client).Kind);
        Assert.Equal(GoTlsVerdictKind.Skip, GoTlsBinary.Inspect(hello).Kind);
    }
}
