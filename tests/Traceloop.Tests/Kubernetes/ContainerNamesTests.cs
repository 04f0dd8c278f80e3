using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Tests.Containers;

namespace Traceloop.Tests.Kubernetes;

public sealed class ContainerNamesTests : IDisposable
{
    private readonly RegistryHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static PodInfo Pod(string uid, params (string Id, string? Last)[] instances) =>
        new("shop", "cart", uid, new Dictionary<string, string>(), "node-1", "Running", "1",
            [.. instances.Select(i => new ContainerMeta("app", i.Id, "cart:1", 0, ContainerKind.Regular, null,
                i.Last is null ? null : new ContainerTermination(1, null, "Error", null, i.Last)))]);

    [Fact]
    public void AnInstanceThatDroppedOutOfThePodsStatusKeepsTheNamesItHad()
    {
        string uid = RegistryHarness.PodUid(1);
        RecordedContainer first = _h.Start(uid, RegistryHarness.ContainerId(1));
        var pods = new PodCache();
        var names = new ContainerNames(pods);
        pods.Upsert(Pod(uid, (first.Id, null)));
        Assert.Equal("app", names.Of(first)?.Container?.Name);

        // Two restarts later the status names neither the current nor the last instance as this one.
        pods.Upsert(Pod(uid, (RegistryHarness.ContainerId(3), RegistryHarness.ContainerId(2))));

        Assert.Null(KubernetesIdentity.Resolve(pods, first)?.Container);
        Assert.Equal("app", names.Of(first)?.Container?.Name);
    }

    [Fact]
    public void ADeletedPodsContainersLoseTheirNames()
    {
        string uid = RegistryHarness.PodUid(6);
        RecordedContainer c = _h.Start(uid, RegistryHarness.ContainerId(6));
        var pods = new PodCache();
        var names = new ContainerNames(pods);
        pods.Upsert(Pod(uid, (c.Id, null)));
        Assert.Equal("app", names.Of(c)?.Container?.Name);

        pods.Remove(uid);

        Assert.Null(names.Of(c));
    }

    [Fact]
    public void AContainerNeverNamedIsNamedByItsPodAlone_AndThenByTheStatusOnceItArrives()
    {
        string uid = RegistryHarness.PodUid(4);
        RecordedContainer c = _h.Start(uid, RegistryHarness.ContainerId(4));
        var pods = new PodCache();
        var names = new ContainerNames(pods);
        pods.Upsert(Pod(uid, (RegistryHarness.ContainerId(5), null)));

        KubernetesIdentity? byPod = names.Of(c);
        Assert.Equal("cart", byPod?.Pod.Name);
        Assert.Null(byPod?.Container);

        pods.Upsert(Pod(uid, (c.Id, null)));
        Assert.Equal("app", names.Of(c)?.Container?.Name);
    }
}
