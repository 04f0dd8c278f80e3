using Microsoft.Extensions.Logging;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class PodCacheTests
{
    [Fact]
    public void PodsAreFoundByUid_AndByContainerIdWithOrWithoutThePrefix()
    {
        var cache = new PodCache();
        PodInfo pod = Pod("a", "1", ("app", "aa"), ("side", "bb"));

        cache.Upsert(pod);

        Assert.True(cache.TryGetByPodUid("uid-a", out PodInfo? byUid));
        Assert.Same(pod, byUid);
        Assert.True(cache.TryGetByContainerId("containerd://BB", out PodInfo? owner, out ContainerMeta? side));
        Assert.Same(pod, owner);
        Assert.Equal("side", side.Name);
        Assert.False(cache.TryGetByContainerId("cc", out _, out _));
        Assert.False(cache.TryGetByContainerId("", out _, out _));
    }

    [Fact]
    public void AnUpdate_ReplacesThePodsContainerIds()
    {
        var cache = new PodCache();
        cache.Upsert(Pod("a", "1", ("app", "aa")));

        cache.Upsert(Pod("a", "2", ("app", "ab")));

        Assert.False(cache.TryGetByContainerId("aa", out _, out _));
        Assert.True(cache.TryGetByContainerId("ab", out PodInfo? pod, out _));
        Assert.Equal("2", pod.ResourceVersion);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void ThePreviousInstancesId_FindsTheContainerToo_UntilThePodGoes()
    {
        var cache = new PodCache();
        var restarted = new ContainerMeta("app", "new", "img", 1, ContainerKind.Regular, null,
            new ContainerTermination(1, null, "Error", DateTimeOffset.UnixEpoch, "old"));
        cache.Upsert(Pod("a", "1") with { Containers = [restarted] });

        Assert.True(cache.TryGetByContainerId("old", out _, out ContainerMeta? c));
        Assert.Same(restarted, c);

        Assert.True(cache.Remove("uid-a"));
        Assert.False(cache.TryGetByContainerId("old", out _, out _));
        Assert.False(cache.TryGetByContainerId("new", out _, out _));
        Assert.False(cache.Remove("uid-a"));
    }

    [Fact]
    public void ReplaceAll_ReportsWhatWasAddedUpdatedAndRemoved_AndLeavesUnchangedPodsAlone()
    {
        var cache = new PodCache();
        cache.Upsert(Pod("same", "1"));
        cache.Upsert(Pod("changed", "1"));
        cache.Upsert(Pod("gone", "1", ("app", "99")));
        var changes = new List<PodChange>();
        cache.Changed += changes.Add;

        cache.ReplaceAll([Pod("same", "1"), Pod("changed", "2"), Pod("new", "1")]);

        Assert.Equal(["changed", "new", "same"], cache.Pods.Select(p => p.Name).Order());
        Assert.Equal(
            [(PodChangeKind.Removed, "gone"), (PodChangeKind.Updated, "changed"), (PodChangeKind.Added, "new")],
            changes.Select(c => (c.Kind, c.Pod.Name)));
        Assert.Equal("1", changes[1].Previous?.ResourceVersion);
        Assert.False(cache.TryGetByContainerId("99", out _, out _));
    }

    [Fact]
    public void AThrowingHandler_DoesNotStopTheOthers_AndIsReported()
    {
        var failures = new List<Exception>();
        var cache = new PodCache(new ExceptionLogger(failures));
        var seen = new List<PodChangeKind>();
        cache.Changed += _ => throw new InvalidOperationException("bug");
        cache.Changed += c => seen.Add(c.Kind);

        cache.Upsert(Pod("a", "1"));
        cache.Remove("uid-a");

        Assert.Equal([PodChangeKind.Added, PodChangeKind.Removed], seen);
        Assert.Equal(2, failures.Count);
    }

    [Fact]
    public async Task ReadersOnOtherThreads_AlwaysSeeAWholeList()
    {
        var cache = new PodCache();
        PodInfo[] first = [.. Enumerable.Range(0, 50).Select(i => Pod($"p{i}", "1"))];
        PodInfo[] second = [.. Enumerable.Range(0, 50).Select(i => Pod($"p{i}", "2"))];
        cache.ReplaceAll(first);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        Task writer = Task.Run(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                cache.ReplaceAll(i % 2 == 0 ? second : first);
            }
        }, cts.Token);
        int reads = 0;
        while (!writer.IsCompleted)
        {
            Assert.Equal(50, cache.Pods.Count);
            reads++;
        }
        await writer.WaitAsync(cts.Token);

        Assert.True(reads > 0);
    }

    private static PodInfo Pod(string name, string rv, params (string Name, string Id)[] containers) => new(
        "default", name, "uid-" + name, new Dictionary<string, string>(), "node-1", "Running", rv,
        [.. containers.Select(c => new ContainerMeta(c.Name, c.Id, "img", 0, ContainerKind.Regular, null, null))]);

    /// <summary>Keeps the exceptions logged: what the cache reports a failed handler with.</summary>
    private sealed class ExceptionLogger(List<Exception> exceptions) : ILogger<PodCache>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not null)
            {
                exceptions.Add(exception);
            }
        }
    }
}
