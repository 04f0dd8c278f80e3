using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
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
        _selection = new PodSelection(_h.Registry, _h.Exclusions, _pods, _options, [_options], NullLogger<PodSelection>.Instance);
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

    [Fact]
    public void AReloadWithAnUnparsableSelectorIsRefused_AndTheLastGoodSelectionStays()
    {
        _pods.Upsert(Pod(4, "shop", new() { ["tier"] = "db" }));
        _options.Set(new SelectionOptions { LabelSelector = "tier!=db" });
        Assert.Contains("pod" + RegistryHarness.PodUid(4), _h.Kernel.ExcludedPodCgroups);

        _options.Set(new SelectionOptions { LabelSelector = "app in (" });

        Assert.Equal(1, _selection.RefusedReloads);
        Assert.Contains("pod" + RegistryHarness.PodUid(4), _h.Kernel.ExcludedPodCgroups);
        // Pods that arrive after the refusal are judged by the last good selection too.
        _pods.Upsert(Pod(5, "shop", new() { ["tier"] = "db" }));
        _pods.Upsert(Pod(6, "kube-system"));
        Assert.Contains("pod" + RegistryHarness.PodUid(5), _h.Kernel.ExcludedPodCgroups);
        Assert.DoesNotContain("pod" + RegistryHarness.PodUid(6), _h.Kernel.ExcludedPodCgroups);

        _options.Set(new SelectionOptions { ExcludeNamespaces = "kube-system" });
        Assert.Equal(1, _selection.RefusedReloads);
        Assert.Equal(["pod" + RegistryHarness.PodUid(6)], _h.Kernel.ExcludedPodCgroups.Where(c => c.StartsWith("pod", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Stands in for the options factory and the configuration's change token: a test sets the
    /// section's next value, as a config reload would, and the factory validates it as the
    /// registered SelectionOptionsValidator does.
    /// </summary>
    private sealed class MutableOptions(SelectionOptions value) : IOptionsFactory<SelectionOptions>, IOptionsChangeTokenSource<SelectionOptions>
    {
        private SelectionOptions _value = value;
        private CancellationTokenSource _changed = new();

        public string? Name => Options.DefaultName;

        public SelectionOptions Create(string name)
        {
            ValidateOptionsResult result = new SelectionOptionsValidator().Validate(name, _value);
            return result.Failed ? throw new OptionsValidationException(name, typeof(SelectionOptions), result.Failures) : _value;
        }

        public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

        public void Set(SelectionOptions value)
        {
            _value = value;
            CancellationTokenSource changed = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
            changed.Cancel();
            changed.Dispose();
        }
    }
}
