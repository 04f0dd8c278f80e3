using Kubectl.Traceloop;
using Kubectl.Traceloop.Kube;
using Traceloop.Cli.Common;

namespace Traceloop.Tests.Kubectl;

public sealed class NamespaceResolutionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-kubectl-").FullName;

    [Theory]
    [InlineData("flag", "ctx", "flag")]
    [InlineData(null, "ctx", "ctx")]
    [InlineData("", "ctx", "ctx")]
    [InlineData(null, null, "default")]
    [InlineData(" ", " ", "default")]
    public void DashNBeatsTheContextsNamespace_WhichBeatsDefault(string? flag, string? context, string expected)
    {
        Assert.Equal(expected, KubeconfigResolution.Namespace(flag, context));
    }

    [Fact]
    public void TheKubeconfigFlag_MustExist()
    {
        var e = Assert.Throws<PluginException>(() => KubeconfigResolution.Files(Path.Join(_dir, "missing"), null, null));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFlagBeatsKubeconfig_WhichListsFiles_WhichBeatsHome()
    {
        string a = Write("a", Config("a", "ns-a", "ctx-a"));
        string b = Write("b", Config("b", "ns-b", "ctx-b"));
        string home = Path.Join(_dir, "home");
        Directory.CreateDirectory(Path.Join(home, ".kube"));
        File.WriteAllText(Path.Join(home, ".kube", "config"), Config("h", "ns-h", "ctx-h"));

        Assert.Equal([a], KubeconfigResolution.Files(a, $"{b}", home));
        Assert.Equal([b, a], KubeconfigResolution.Files(null, $"{b}:{Path.Join(_dir, "missing")}:{a}", home));
        Assert.Equal([Path.Join(home, ".kube", "config")], KubeconfigResolution.Files(null, null, home));
        Assert.Empty(KubeconfigResolution.Files(null, null, Path.Join(_dir, "nohome")));
    }

    [Fact]
    public void ASession_TakesTheContextsNamespace_UnlessDashNIsGiven_AndContextSwitches()
    {
        string path = Write("two", Config("one", "ns-one", "ctx-one", extraContext: ("ctx-two", "")));

        using (KubeSession session = KubeSession.Open(new KubeSettings(Kubeconfig: path), null, null))
        {
            Assert.Equal("ns-one", session.Namespace);
            Assert.Equal("https://one.example:6443/", session.Client.BaseUri.ToString());
        }
        using (KubeSession session = KubeSession.Open(new KubeSettings(Kubeconfig: path, Namespace: "given"), null, null))
        {
            Assert.Equal("given", session.Namespace);
        }
        using (KubeSession session = KubeSession.Open(new KubeSettings(Kubeconfig: path, Context: "ctx-two"), null, null))
        {
            Assert.Equal("default", session.Namespace);
        }
        var e = Assert.Throws<PluginException>(() => KubeSession.Open(new KubeSettings(Kubeconfig: path, Context: "nope"), null, null));
        Assert.Contains("nope", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralKubeconfigFiles_AreMerged_TheFirstCurrentContextWinning()
    {
        string first = Write("first", Config("first", "ns-first", "ctx-first"));
        string second = Write("second", Config("second", "ns-second", "ctx-second"));
        using (KubeSession session = KubeSession.Open(new KubeSettings(), $"{first}:{second}", home: null))
        {
            Assert.Equal("ns-first", session.Namespace);
        }
        using (KubeSession session = KubeSession.Open(new KubeSettings(Context: "ctx-second"), $"{first}:{second}", home: null))
        {
            Assert.Equal("ns-second", session.Namespace);
            Assert.Equal("https://second.example:6443/", session.Client.BaseUri.ToString());
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Join(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Config(string cluster, string ns, string context, (string Name, string Namespace)? extraContext = null) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: {cluster}
          cluster:
            server: https://{cluster}.example:6443
            insecure-skip-tls-verify: true
        users:
        - name: {cluster}-user
          user:
            token: t-{cluster}
        contexts:
        - name: {context}
          context:
            cluster: {cluster}
            user: {cluster}-user
            namespace: {ns}
        {(extraContext is { } extra ? $"""
        - name: {extra.Name}
          context:
            cluster: {cluster}
            user: {cluster}-user
        """ : "")}
        current-context: {context}
        """;
}
