using Traceloop.Recorder.Crashes;

namespace Traceloop.Tests.Crashes;

public sealed class EventRateLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TheFirstGoesAtOnce_TheRestOfTheIntervalIsHeldAndCountedInOne()
    {
        var limiter = new EventRateLimiter<int>(TimeSpan.FromMinutes(5));
        Assert.True(limiter.Offer("ns/pod/app", 1, T0));
        for (int i = 2; i <= 50; i++)
        {
            Assert.False(limiter.Offer("ns/pod/app", i, T0.AddSeconds(i)));
        }
        Assert.Empty(limiter.Due(T0.AddMinutes(4)));
        var due = Assert.Single(limiter.Due(T0.AddMinutes(5)));
        Assert.Equal(("ns/pod/app", 49, T0.AddSeconds(2), 50), due);
        Assert.Empty(limiter.Due(T0.AddMinutes(11)));
        // The interval restarts at the aggregated Event.
        Assert.False(limiter.Offer("ns/pod/app", 51, T0.AddMinutes(9)));
        Assert.False(limiter.Offer("ns/pod/app", 52, T0.AddMinutes(20)));
        Assert.Equal(("ns/pod/app", 2, T0.AddMinutes(9), 52), Assert.Single(limiter.Due(T0.AddMinutes(20))));
    }

    [Fact]
    public void KeysAreLimitedApart()
    {
        var limiter = new EventRateLimiter<int>(TimeSpan.FromMinutes(5));
        Assert.True(limiter.Offer("a", 1, T0));
        Assert.True(limiter.Offer("b", 1, T0));
        Assert.False(limiter.Offer("a", 2, T0));
    }

    [Fact]
    public void AQuietKeyGoesAtOnceAgainAfterTheInterval()
    {
        var limiter = new EventRateLimiter<int>(TimeSpan.FromMinutes(5));
        Assert.True(limiter.Offer("a", 1, T0));
        Assert.True(limiter.Offer("a", 2, T0.AddMinutes(6)));
    }

    [Fact]
    public void TheTableStaysBounded()
    {
        var limiter = new EventRateLimiter<int>(TimeSpan.FromMinutes(5), maxKeys: 10);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.Offer($"k{i}", i, T0.AddSeconds(i)));
        }
        // The newest key is still limited; a forgotten one counts as new.
        Assert.False(limiter.Offer("k999", 0, T0.AddSeconds(1000)));
        Assert.True(limiter.Offer("k0", 0, T0.AddSeconds(1000)));
    }
}
