using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Traceloop.Gateway.Authentication;
using Traceloop.TestCommon.Certificates;

namespace Traceloop.Tests.Gateway;

public sealed class FrontProxyAuthenticatorTests : IDisposable
{
    private readonly X509Certificate2 _ca = TestCa.CreateCa("front-proxy-ca");
    private readonly X509Certificate2 _client;
    private readonly FrontProxyTrust _trust;

    public FrontProxyAuthenticatorTests()
    {
        _client = TestCa.Issue(_ca, "front-proxy-client", TestCa.ClientAuth);
        _trust = FrontProxyTrust.FromConfigMapData(ConfigMap(_ca, "[\"front-proxy-client\"]"));
    }

    [Fact]
    public void TheFrontProxysCertificate_MakesTheHeadersTheIdentity()
    {
        var headers = new HeaderDictionary
        {
            ["X-Remote-User"] = "alice",
            ["X-Remote-Group"] = new(["devs", "system:authenticated"]),
            ["X-Remote-Extra-Scopes"] = new(["read", "write"]),
            ["X-Remote-Extra-Acme.com%2Fproject"] = "shop",
        };

        RequestIdentity? identity = FrontProxyAuthenticator.Authenticate(_trust, _client, headers, out string? refusal);

        Assert.Null(refusal);
        Assert.NotNull(identity);
        Assert.Equal("alice", identity.User);
        Assert.Equal(["devs", "system:authenticated"], identity.Groups);
        Assert.Equal(["read", "write"], identity.Extra["scopes"]);
        // Keys are lower-cased and percent-decoded, as the kube-apiserver encodes them.
        Assert.Equal(["shop"], identity.Extra["acme.com/project"]);
    }

    [Fact]
    public void WithoutAValidFrontProxyCertificate_HeadersCountForNothing()
    {
        var headers = new HeaderDictionary { ["X-Remote-User"] = "admin", ["X-Remote-Group"] = "system:masters" };
        using X509Certificate2 otherCa = TestCa.CreateCa("someone-else");
        using X509Certificate2 stranger = TestCa.Issue(otherCa, "front-proxy-client", TestCa.ClientAuth);
        using X509Certificate2 wrongName = TestCa.Issue(_ca, "not-the-proxy", TestCa.ClientAuth);
        using X509Certificate2 serverOnly = TestCa.Issue(_ca, "front-proxy-client", TestCa.ServerAuth);

        Assert.Null(FrontProxyAuthenticator.Authenticate(_trust, null, headers, out string? none));
        Assert.Contains("no client certificate", none, StringComparison.Ordinal);
        Assert.Null(FrontProxyAuthenticator.Authenticate(_trust, stranger, headers, out string? foreign));
        Assert.Contains("not signed by the cluster's front-proxy CA", foreign, StringComparison.Ordinal);
        Assert.Null(FrontProxyAuthenticator.Authenticate(_trust, wrongName, headers, out string? name));
        Assert.Contains("'not-the-proxy' is not one of requestheader-allowed-names", name, StringComparison.Ordinal);
        Assert.Null(FrontProxyAuthenticator.Authenticate(_trust, serverOnly, headers, out string? usage));
        Assert.Contains("not signed by the cluster's front-proxy CA", usage, StringComparison.Ordinal);
        // Before the ConfigMap is read, nobody is trusted.
        Assert.Null(FrontProxyAuthenticator.Authenticate(FrontProxyTrust.None, _client, headers, out string? unread));
        Assert.Contains("no requestheader-client-ca-file", unread, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExpiredFrontProxyCertificate_IsRefused()
    {
        var headers = new HeaderDictionary { ["X-Remote-User"] = "alice" };

        Assert.Null(FrontProxyAuthenticator.Authenticate(_trust, _client, headers, out string? refusal, DateTimeOffset.UtcNow.AddDays(3)));
        Assert.NotNull(refusal);
    }

    [Fact]
    public void NoUserHeader_IsRefused_AndEmptyAllowedNames_AcceptAnyNameFromTheCa()
    {
        FrontProxyTrust anyName = FrontProxyTrust.FromConfigMapData(ConfigMap(_ca, "[]"));
        using X509Certificate2 other = TestCa.Issue(_ca, "aggregator", TestCa.ClientAuth);

        Assert.Null(FrontProxyAuthenticator.Authenticate(anyName, other, new HeaderDictionary(), out string? refusal));
        Assert.Equal("the front proxy sent no user", refusal);
        Assert.Equal("bob", FrontProxyAuthenticator.Authenticate(anyName, other, new HeaderDictionary { ["X-Remote-User"] = "bob" }, out _)?.User);
    }

    [Fact]
    public void TheConfigMap_IsReadAsKubeadmWritesIt_AndAMalformedListIsAnError()
    {
        Assert.Equal(["front-proxy-client"], _trust.AllowedNames);
        Assert.Equal(["X-Remote-User"], _trust.UsernameHeaders);
        Assert.Equal(["X-Remote-Group"], _trust.GroupHeaders);
        Assert.Equal(["X-Remote-Extra-"], _trust.ExtraHeaderPrefixes);
        Assert.Equal(_ca.Thumbprint, Assert.Single(_trust.Authorities).Thumbprint);

        JsonObject broken = ConfigMap(_ca, "front-proxy-client");
        Assert.Throws<FormatException>(() => FrontProxyTrust.FromConfigMapData(broken));
        Assert.Same(FrontProxyTrust.None, FrontProxyTrust.FromConfigMapData(null));
    }

    public void Dispose()
    {
        _ca.Dispose();
        _client.Dispose();
    }

    private static JsonObject ConfigMap(X509Certificate2 ca, string allowedNames) => new()
    {
        ["requestheader-client-ca-file"] = ca.ExportCertificatePem(),
        ["requestheader-allowed-names"] = allowedNames,
        ["requestheader-username-headers"] = "[\"X-Remote-User\"]",
        ["requestheader-group-headers"] = "[\"X-Remote-Group\"]",
        ["requestheader-extra-headers-prefix"] = "[\"X-Remote-Extra-\"]",
    };
}
