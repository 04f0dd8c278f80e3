using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Tests.Containers;

namespace Traceloop.Tests.Kubernetes;

public sealed class PodSelectionTests : IDisposable
{
    private readonly RegistryHarness _h = new();
    private readonly PodCache _pods = new();
    private readonly MutableOptions _options = new(new SelectionOptions { ExcludeNamespaces = "kube-system" });
    private readonly PodSelection _selection;

    public PodSelectionTests()
    {
        _selection = new PodSelection(_h.Registry, _h.Exclusions, _pods, _options, NullLogger<PodSelection>.Instance);
        _selection.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _selection.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _selection.Dispose();
        _h.Dispose();
    }

    private static PodInfo Pod(int n, string ns, Dictionary<string, string>? labels = null) =>
        new(ns, "pod-" + n, RegistryHarness.PodUid(n), labels ?? [], "node-1", "Running", "1", []);

    [Fact]
    public void APodLeftOutBeforeItsContainersStartIsRefusedInTheKernel()
    {
        _pods.Upsert(Pod(1, "kube-system"));

        string uid = RegistryHarness.PodUid(1);
        Assert.Contains("pod" + uid, _h.Kernel.ExcludedPodCgroups);
        Assert.Contains($"kubepods-besteffort-pod{uid.Replace('-', '_')}.slice", _h.Kernel.ExcludedPodCgroups);
        Assert.Equal(1, _selection.ExcludedCount);
    }

    [Fact]
    public void APodLeftOutAfterItsContainersStartedHasThemReleased_AndSelectedAgainTheyAreAdoptedBack()
    {
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(2), RegistryHarness.ContainerId(2));
        _pods.Upsert(Pod(2, "shop", new() { ["tier"] = "db" }));
        Assert.Single(_h.Registry.List());

        _options.Set(new SelectionOptions { LabelSelector = "tier!=db" });
        Assert.Empty(_h.Registry.List());
        Assert.False(_h.Kernel.Containers.ContainsKey(c.CgroupId));

        _options.Set(new SelectionOptions());
        Assert.Equal(c.Id, Assert.Single(_h.Registry.List()).Id);
        Assert.Empty(_h.Kernel.ExcludedPodCgroups);
    }

    [Fact]
    public void ARemovedPodIsNoLongerExcluded()
    {
        _pods.Upsert(Pod(3, "kube-system"));
        _pods.Remove(RegistryHarness.PodUid(3));

        Assert.Equal(0, _selection.ExcludedCount);
        Assert.Empty(_h.Kernel.ExcludedPodCgroups);
    }

    /// <summary>An options monitor whose value a test changes, as a config reload would.</summary>
    private sealed class MutableOptions(SelectionOptions value) : IOptionsMonitor<SelectionOptions>
    {
        private readonly List<Action<SelectionOptions, string?>> _listeners = [];

        public SelectionOptions CurrentValue { get; private set; } = value;

        public SelectionOptions Get(string? name) => CurrentValue;

        public void Set(SelectionOptions value)
        {
            CurrentValue = value;
            foreach (Action<SelectionOptions, string?> listener in _listeners.ToList())
            {
                listener(value, null);
            }
        }

        public IDisposable OnChange(Action<SelectionOptions, string?> listener)
        {
            _listeners.Add(listener);
            return new Unsubscribe(() => _listeners.Remove(listener));
        }

        private sealed class Unsubscribe(Action action) : IDisposable
        {
            public void Dispose() => action();
        }
    }
}
