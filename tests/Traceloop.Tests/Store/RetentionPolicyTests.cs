using Traceloop.Recorder.Store;

namespace Traceloop.Tests.Store;

public sealed class RetentionPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RetainedDump D(int n, string? key, long size = 10) => new($"d{n:00}", key, size, T0.AddMinutes(n));

    [Fact]
    public void BeyondKPerContainer_TheOldestOfThatContainerGo()
    {
        RetainedDump[] dumps = [D(1, "a"), D(2, "b"), D(3, "a"), D(4, "a"), D(5, "b")];
        Assert.Equal(["d01"], new RetentionPolicy(2, 1000).Victims(dumps));
    }

    [Fact]
    public void OverTheByteBudget_TheOldestOfAllGo_ButNeverTheNewest()
    {
        RetainedDump[] dumps = [D(1, "a", 40), D(2, "b", 40), D(3, "c", 40)];
        Assert.Equal(["d01"], new RetentionPolicy(10, 100).Victims(dumps));
        Assert.Equal(["d01", "d02"], new RetentionPolicy(10, 50).Victims(dumps));
        Assert.Equal(["d01", "d02"], new RetentionPolicy(10, 1).Victims(dumps));
    }

    [Fact]
    public void CorruptFilesCountOnlyTowardsTheBudget()
    {
        RetainedDump[] dumps = [D(1, null, 500), D(2, null, 1), D(3, "a", 1)];
        Assert.Empty(new RetentionPolicy(1, 1000).Victims(dumps));
        Assert.Equal(["d01"], new RetentionPolicy(1, 100).Victims(dumps));
    }

    [Fact]
    public void ACrashLoopOfFiftyKeepsK()
    {
        var dumps = Enumerable.Range(1, 50).Select(n => D(n, "ns/pod/app")).ToList();
        List<string> victims = new RetentionPolicy(10, 1L << 30).Victims(dumps);
        Assert.Equal(40, victims.Count);
        Assert.Equal(Enumerable.Range(1, 40).Select(n => $"d{n:00}"), victims);
    }
}
