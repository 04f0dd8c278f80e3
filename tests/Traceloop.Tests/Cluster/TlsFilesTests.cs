using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Traceloop.Cluster;
using Traceloop.TestCommon.Certificates;

namespace Traceloop.Tests.Cluster;

/// <summary>A mounted Secret's files change under a running process: the new ones are used soon after, a broken set never.</summary>
public sealed class TlsFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-tlsfiles-").FullName;
    private readonly X509Certificate2 _ca = TestCa.CreateCa("traceloop-cluster-ca");
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void RotatedFiles_AreUsedAfterTheRecheckInterval()
    {
        using X509Certificate2 first = Write("traceloop-agent");
        TlsFiles tls = TlsFiles.InDirectory(_dir, _time);
        Assert.Equal(first.Thumbprint, tls.Certificate.Thumbprint);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal(_ca.Thumbprint, Assert.Single(tls.Authorities).Thumbprint);

        using X509Certificate2 second = Write("traceloop-agent");
        Assert.Equal(first.Thumbprint, tls.Certificate.Thumbprint);
        _time.Advance(TlsFiles.RecheckInterval);
        Assert.Equal(second.Thumbprint, tls.Certificate.Thumbprint);
        Assert.Null(tls.LastError);
    }

    [Fact]
    public void ABrokenRotation_KeepsTheLastGoodFiles_AndSaysWhy()
    {
        using X509Certificate2 good = Write("traceloop-agent");
        TlsFiles tls = TlsFiles.InDirectory(_dir, _time);

        File.WriteAllText(Path.Join(_dir, "tls.key"), "not a key");
        _time.Advance(TlsFiles.RecheckInterval);

        Assert.Equal(good.Thumbprint, tls.Certificate.Thumbprint);
        Assert.Contains("cannot use the TLS files", tls.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFiles_StopTheStart_WithTheReason()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TlsFiles.InDirectory(Path.Join(_dir, "absent"), _time));

        Assert.Contains("tls.crt", e.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private X509Certificate2 Write(string name)
    {
        X509Certificate2 leaf = TestCa.Issue(_ca, name, TestCa.ServerAuth);
        TestCa.WritePem(leaf, Path.Join(_dir, "tls.crt"), Path.Join(_dir, "tls.key"));
        File.WriteAllText(Path.Join(_dir, "ca.crt"), _ca.ExportCertificatePem());
        return leaf;
    }
}
