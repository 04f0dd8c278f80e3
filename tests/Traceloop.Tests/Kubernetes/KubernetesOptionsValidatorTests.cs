using Microsoft.Extensions.Options;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class KubernetesOptionsValidatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-k8s-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheDefaultsAreValid_InLocalMode_WithoutANodeName()
    {
        ValidateOptionsResult result = Validate(new KubernetesOptions(), KubernetesEnvironment.Empty);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void WithAKubeconfig_ANodeNameIsRequired()
    {
        var options = new KubernetesOptions { Kubeconfig = Kubeconfig() };

        string failure = Assert.Single(Validate(options, KubernetesEnvironment.Empty).Failures!);

        Assert.Contains("NodeName is required with Kubernetes (kubeconfig ", failure, StringComparison.Ordinal);
        Assert.Contains("--node-name or set NODE_NAME", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void InAPod_ANodeNameIsRequired_AndNodeNameFromTheEnvironmentIsEnough()
    {
        var options = new KubernetesOptions { ServiceAccountDir = ServiceAccount() };
        var inPod = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1", ["KUBERNETES_SERVICE_PORT"] = "443" };

        string failure = Assert.Single(Validate(options, KubernetesEnvironment.From(inPod)).Failures!);
        inPod["NODE_NAME"] = "worker-3";
        ValidateOptionsResult withNode = Validate(options, KubernetesEnvironment.From(inPod));

        Assert.Contains("NodeName is required with Kubernetes (in-cluster service account", failure, StringComparison.Ordinal);
        Assert.True(withNode.Succeeded, withNode.FailureMessage);
    }

    [Theory]
    [InlineData("Worker-3")]
    [InlineData("-worker")]
    [InlineData("worker_3")]
    [InlineData("worker 3")]
    [InlineData("worker.")]
    public void ANodeNameThatIsNotADnsSubdomain_IsRejected(string node)
    {
        var options = new KubernetesOptions { Kubeconfig = Kubeconfig(), NodeName = node };

        string failure = Assert.Single(Validate(options, KubernetesEnvironment.Empty).Failures!);

        Assert.Contains($"NodeName '{node}' is not a Kubernetes node name", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("worker-3")]
    [InlineData("ip-10-0-3-17.eu-west-1.compute.internal")]
    [InlineData("3")]
    public void DnsSubdomainNodeNamesAreValid(string node)
    {
        var options = new KubernetesOptions { Kubeconfig = Kubeconfig(), NodeName = node };

        ValidateOptionsResult result = Validate(options, KubernetesEnvironment.Empty);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void AKubeconfigThatDoesNotExist_IsRejected()
    {
        var options = new KubernetesOptions { Kubeconfig = Path.Join(_dir, "missing"), NodeName = "n" };

        string failure = Assert.Single(Validate(options, KubernetesEnvironment.Empty).Failures!);

        Assert.Equal($"Kubeconfig '{options.Kubeconfig}' does not exist", failure);
    }

    [Fact]
    public void BackoffsAndTimeoutsOutOfRange_AreEachRejectedByName()
    {
        var options = new KubernetesOptions
        {
            ResyncBackoffInitial = TimeSpan.Zero,
            ResyncBackoffMax = TimeSpan.FromHours(1),
            WatchTimeout = TimeSpan.FromMilliseconds(10),
            ServiceAccountDir = "relative/dir",
        };

        IEnumerable<string> failures = Validate(options, KubernetesEnvironment.Empty).Failures!;

        Assert.Collection(failures,
            f => Assert.StartsWith("ResyncBackoffInitial", f, StringComparison.Ordinal),
            f => Assert.StartsWith("ResyncBackoffMax", f, StringComparison.Ordinal),
            f => Assert.StartsWith("WatchTimeout", f, StringComparison.Ordinal),
            f => Assert.StartsWith("ServiceAccountDir 'relative/dir' must be an absolute path", f, StringComparison.Ordinal));
    }

    [Fact]
    public void AMaximumBackoffBelowTheInitialOne_IsRejected()
    {
        var options = new KubernetesOptions { ResyncBackoffInitial = TimeSpan.FromSeconds(5), ResyncBackoffMax = TimeSpan.FromSeconds(1) };

        Assert.StartsWith("ResyncBackoffMax", Assert.Single(Validate(options, KubernetesEnvironment.Empty).Failures!), StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(KubernetesOptions options, KubernetesEnvironment env) =>
        new KubernetesOptionsValidator(env).Validate(null, options);

    private string Kubeconfig()
    {
        string path = Path.Join(_dir, "config");
        File.WriteAllText(path, "apiVersion: v1\nkind: Config\n");
        return path;
    }

    private string ServiceAccount()
    {
        string dir = Path.Join(_dir, "sa");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Join(dir, "token"), "t");
        File.WriteAllText(Path.Join(dir, "ca.crt"), "not read by the validator");
        return dir;
    }
}
