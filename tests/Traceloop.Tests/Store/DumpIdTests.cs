using Traceloop.Recorder.Store;

namespace Traceloop.Tests.Store;

public sealed class DumpIdTests
{
    [Fact]
    public void IdsSortInTheOrderMade_EvenWithinOneMillisecond()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 11, 23, 8, 13, 4, 123, TimeSpan.Zero));
        var ids = new DumpIdGenerator(time);
        List<string> made = [.. Enumerable.Range(0, 100).Select(_ => ids.Next())];
        Assert.Equal(made, made.Order(StringComparer.Ordinal));
        Assert.Equal(100, made.Distinct().Count());
        Assert.StartsWith("20261123T081304123Z-", made[0], StringComparison.Ordinal);
        Assert.All(made, id => Assert.True(DumpIdGenerator.IsValid(id), id));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.StartsWith("20261123T081305123Z-", ids.Next(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("20261123T081304123Z-3f9a1c2b", true)]
    [InlineData("20261123T081304123Z-3F9A1C2B", false)]
    [InlineData("20261323T081304123Z-3f9a1c2b", false)]
    [InlineData("../../etc/passwd", false)]
    [InlineData("20261123T081304123Z-3f9a1c2", false)]
    [InlineData("20261123T081304123Z/3f9a1c2b", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyWellFormedIdsAreValid(string? id, bool valid) => Assert.Equal(valid, DumpIdGenerator.IsValid(id));

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
