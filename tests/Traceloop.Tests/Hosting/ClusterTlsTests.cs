using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Traceloop.Recorder.Hosting;
using Traceloop.TestCommon.Certificates;

namespace Traceloop.Tests.Hosting;

/// <summary>The cluster listener's TLS files may appear after the recorder starts: they are waited for, not fatal.</summary>
public sealed class ClusterTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-clustertls-").FullName;
    private readonly X509Certificate2 _ca = TestCa.CreateCa("traceloop-cluster-ca");
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void MissingFiles_AreTriedAgain_AndUsedOnceTheyAppear()
    {
        using var tls = new ClusterTls(_dir, _time, NullLogger.Instance);
        Assert.Null(tls.Files);

        _time.Advance(ClusterTls.RetryInterval);
        Assert.Null(tls.Files);

        using X509Certificate2 leaf = TestCa.Issue(_ca, "traceloop-agent", TestCa.ServerAuth);
        TestCa.WritePem(leaf, Path.Join(_dir, "tls.crt"), Path.Join(_dir, "tls.key"));
        // Half a Secret (no ca.crt yet) is not used.
        _time.Advance(ClusterTls.RetryInterval);
        Assert.Null(tls.Files);

        File.WriteAllText(Path.Join(_dir, "ca.crt"), _ca.ExportCertificatePem());
        _time.Advance(ClusterTls.RetryInterval);
        Assert.NotNull(tls.Files);
        Assert.Equal(leaf.Thumbprint, tls.Files.Certificate.Thumbprint);
        Assert.Equal(_ca.Thumbprint, Assert.Single(tls.Files.Authorities).Thumbprint);
    }

    [Fact]
    public void FilesThatExistAtStart_AreUsedAtOnce()
    {
        using X509Certificate2 leaf = TestCa.Issue(_ca, "traceloop-agent", TestCa.ServerAuth);
        TestCa.WritePem(leaf, Path.Join(_dir, "tls.crt"), Path.Join(_dir, "tls.key"));
        File.WriteAllText(Path.Join(_dir, "ca.crt"), _ca.ExportCertificatePem());

        using var tls = new ClusterTls(_dir, _time, NullLogger.Instance);

        Assert.Equal(leaf.Thumbprint, tls.Files?.Certificate.Thumbprint);
    }

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
