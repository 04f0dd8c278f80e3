using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class KubernetesTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-k8s-target-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void InAPod_TheServiceAccountWins_OverAnyKubeconfig()
    {
        var options = new KubernetesOptions { ServiceAccountDir = ServiceAccount(), Kubeconfig = Kubeconfig("a") };
        KubernetesEnvironment env = Env(("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("KUBERNETES_SERVICE_PORT", "443"), ("KUBECONFIG", Kubeconfig("b")));

        KubernetesTarget target = KubernetesTarget.Resolve(options, env);

        Assert.Equal(KubernetesMode.InCluster, target.Mode);
    }

    [Fact]
    public void WithoutAToken_TheServiceAddressAloneIsNotInCluster()
    {
        // automountServiceAccountToken: false leaves the variables but mounts nothing.
        var options = new KubernetesOptions { ServiceAccountDir = Path.Join(_dir, "none") };

        KubernetesTarget target = KubernetesTarget.Resolve(options, Env(("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("KUBERNETES_SERVICE_PORT", "443")));

        Assert.Equal(KubernetesMode.Local, target.Mode);
    }

    [Fact]
    public void TheKubeconfigOption_WinsOverKUBECONFIG_AndTheNodeNameOptionOverNODE_NAME()
    {
        string option = Kubeconfig("option");
        var options = new KubernetesOptions { Kubeconfig = option, NodeName = "from-option", ServiceAccountDir = Path.Join(_dir, "none") };

        KubernetesTarget target = KubernetesTarget.Resolve(options, Env(("KUBECONFIG", Kubeconfig("env")), ("NODE_NAME", "from-env")));

        Assert.Equal(KubernetesMode.Kubeconfig, target.Mode);
        Assert.Equal($"kubeconfig {option}", target.Source);
        Assert.Equal("from-option", target.NodeName);
    }

    [Fact]
    public void KUBECONFIG_MayListSeveralFiles_TheFirstThatExistsIsUsed()
    {
        string second = Kubeconfig("second");
        var options = new KubernetesOptions { ServiceAccountDir = Path.Join(_dir, "none") };

        KubernetesTarget target = KubernetesTarget.Resolve(options, Env(("KUBECONFIG", $"{_dir}/missing:{second}"), ("NODE_NAME", "n")));

        Assert.Equal($"kubeconfig {second}", target.Source);
        Assert.Equal("n", target.NodeName);
    }

    [Fact]
    public void NothingConfigured_IsLocalMode_AndHomeKubeConfigIsNotRead()
    {
        KubernetesTarget target = KubernetesTarget.Resolve(new KubernetesOptions { ServiceAccountDir = Path.Join(_dir, "none") }, Env(("HOME", _dir)));

        Assert.Equal(KubernetesMode.Local, target.Mode);
        Assert.Throws<InvalidOperationException>(() => target.CreateClientConfiguration());
    }

    [Fact]
    public void InCluster_TheConfigurationUsesTheServiceAddressCaAndTokenFile()
    {
        string dir = ServiceAccount();
        var options = new KubernetesOptions { ServiceAccountDir = dir };

        KubernetesClientConfiguration config = KubernetesTarget.Resolve(options, Env(("KUBERNETES_SERVICE_HOST", "fd00::1"), ("KUBERNETES_SERVICE_PORT", "6443")))
            .CreateClientConfiguration();

        Assert.Equal("https://[fd00::1]:6443/", config.Host);
        Assert.Single(config.SslCaCerts);
        Assert.IsType<k8s.Authentication.TokenFileAuth>(config.TokenProvider);
        Assert.Equal("traceloop", config.Namespace);
    }

    [Fact]
    public void AServiceAccountCaThatIsNotPem_IsAStartupErrorNamingTheFile()
    {
        string dir = ServiceAccount();
        File.WriteAllText(Path.Join(dir, "ca.crt"), "garbage");
        KubernetesTarget target = KubernetesTarget.Resolve(new KubernetesOptions { ServiceAccountDir = dir },
            Env(("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("KUBERNETES_SERVICE_PORT", "443")));

        var e = Assert.Throws<InvalidOperationException>(() => target.CreateClientConfiguration());

        Assert.Contains(Path.Join(dir, "ca.crt"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKubeconfigThatIsNotYaml_IsAStartupErrorNamingTheFile()
    {
        string path = Path.Join(_dir, "broken");
        File.WriteAllText(path, "clusters: [ {");
        KubernetesTarget target = KubernetesTarget.Resolve(new KubernetesOptions { Kubeconfig = path, ServiceAccountDir = Path.Join(_dir, "none") }, Env());

        var e = Assert.Throws<InvalidOperationException>(() => target.CreateClientConfiguration());

        Assert.StartsWith($"cannot use kubeconfig {path}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKubeconfig_GivesItsServerCaAndToken()
    {
        string path = Kubeconfig("ok");

        KubernetesClientConfiguration config = KubernetesTarget.Resolve(new KubernetesOptions { Kubeconfig = path, ServiceAccountDir = Path.Join(_dir, "none") }, Env())
            .CreateClientConfiguration();

        Assert.Equal("https://127.0.0.1:6443", config.Host);
        Assert.Equal("secret-token", config.AccessToken);
        Assert.Single(config.SslCaCerts);
    }

    private static KubernetesEnvironment Env(params (string Name, string Value)[] variables) =>
        KubernetesEnvironment.From(variables.ToDictionary(v => v.Name, v => v.Value));

    private string ServiceAccount()
    {
        string dir = Path.Join(_dir, "sa-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Join(dir, "token"), "secret-token");
        File.WriteAllText(Path.Join(dir, "ca.crt"), CaPem());
        File.WriteAllText(Path.Join(dir, "namespace"), "traceloop\n");
        return dir;
    }

    private string Kubeconfig(string name)
    {
        string path = Path.Join(_dir, name);
        string ca = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(CaPem()));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: {ca}
            users:
            - name: u
              user:
                token: secret-token
            contexts:
            - name: x
              context:
                cluster: c
                user: u
            current-context: x
            """);
        return path;
    }

    private static string CaPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        return ca.ExportCertificatePem();
    }
}
