using System.Diagnostics;
using System.Text.Json;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Kubernetes;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>
/// Pod selection is applied in the kernel: an unselected pod's containers never get an entry
/// in the recorder's containers map, checked in the kernel's own map with bpftool, not by
/// filtering the API's output.
/// </summary>
public sealed class SelectionTests
{
    private const string Node = "node-a";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AnExcludedNamespacesContainersNeverReachTheKernelMap_AndAConfigChangeTakesEffectAtRuntime()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using ApiServerFixture api = await ApiServerFixture.StartAsync(cts.Token);
        string config = Path.Join(Directory.CreateTempSubdirectory("traceloop-selection-").FullName, "config.json");
        await File.WriteAllTextAsync(config, """{ "Selection": { "ExcludeNamespaces": "kube-system" } }""", cts.Token);

        (TestPod quietPod, string quietId) = NewPod("kube-proxy", "kube-system");
        (TestPod shopPod, string shopId) = NewPod("checkout", "shop");
        api.AddPod(quietPod);
        api.AddPod(shopPod);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--kubeconfig", api.WriteKubeconfig(), "--node-name", Node, "--config", config], cts.Token);
        await Eventually.TrueAsync(() => Task.FromResult(recorder.Output.Contains("Pod kube-system/kube-proxy is not selected", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "the selection to reach the kernel");

        await using RuncContainer quiet = await RuncContainer.RunAsync(Spec(quietPod, quietId), cts.Token);
        await using RuncContainer shop = await RuncContainer.RunAsync(Spec(shopPod, shopId), cts.Token);
        await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == shopId),
            TimeSpan.FromSeconds(10), "the selected pod's container");

        KernelMaps kernel = KernelMaps.Of(recorder.Pid);
        Assert.Contains(CgroupId(shop), kernel.ContainerKeys());
        Assert.DoesNotContain(CgroupId(quiet), kernel.ContainerKeys());
        Assert.Contains($"pod{quietPod.Uid}", kernel.ExcludedPodNames());
        Assert.DoesNotContain((await recorder.Client.GetContainersAsync(cts.Token)), c => c.Id == quietId);

        // Exclude the shop namespace too, through the config file: the running container is
        // released and a new one is refused, within seconds.
        await File.WriteAllTextAsync(config, """{ "Selection": { "ExcludeNamespaces": "kube-system,shop" } }""", cts.Token);
        await Eventually.TrueAsync(async () => !(await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.Id == shopId),
            TimeSpan.FromSeconds(10), "the reloaded selection to release the shop container");
        Assert.DoesNotContain(CgroupId(shop), kernel.ContainerKeys());
        (TestPod laterPod, string laterId) = NewPod("checkout-2", "shop");
        api.AddPod(laterPod);
        await Eventually.TrueAsync(() => Task.FromResult(kernel.ExcludedPodNames().Contains($"pod{laterPod.Uid}")),
            TimeSpan.FromSeconds(10), "the new shop pod to be excluded");
        await using RuncContainer later = await RuncContainer.RunAsync(Spec(laterPod, laterId), cts.Token);
        // A selected container started afterwards: once it is adopted, the kernel has certainly
        // handled the earlier container's cgroup_mkdir, so its absence below means something.
        (TestPod markerPod, string markerId) = NewPod("marker", "default");
        api.AddPod(markerPod);
        await using RuncContainer marker = await RuncContainer.RunAsync(Spec(markerPod, markerId), cts.Token);
        await Eventually.TrueAsync(() => Task.FromResult(kernel.ContainerKeys().Contains(CgroupId(marker))), TimeSpan.FromSeconds(10), "the marker container");
        Assert.DoesNotContain(CgroupId(later), kernel.ContainerKeys());
    }

    private static (TestPod Pod, string ContainerId) NewPod(string name, string ns)
    {
        string id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        return (new TestPod(name, ns)
        {
            Node = Node,
            Containers = [new TestContainer("c", "busybox") { ContainerId = $"containerd://{id}" }],
        }, id);
    }

    private static ContainerSpec Spec(TestPod pod, string id) => new() { Id = id, PodUid = pod.Uid, Args = ["sh", "-c", "exec sleep 60"] };

    /// <summary>The container's key in the kernel: the inode number of its cgroup v2 directory (the one with cgroup.controllers).</summary>
    private static ulong CgroupId(RuncContainer container)
    {
        string dir = container.CgroupDirectories.Single(d => File.Exists(Path.Join(d, "cgroup.controllers")));
        return ulong.Parse(Run("stat", "-c", "%i", dir).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Run(string file, params string[] args) => KernelMaps.Run(file, args);
}
