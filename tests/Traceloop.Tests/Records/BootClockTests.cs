using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Records;

public sealed class BootClockTests
{
    [Fact]
    public void AFixedOffsetMapsBootTimeToWallClock()
    {
        var wall = new DateTimeOffset(2024, 5, 6, 12, 3, 4, TimeSpan.Zero);
        long wallNs = (wall.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        BootClock clock = BootClock.WithOffset(wallNs - 7_000_000_000);

        Assert.Equal(wallNs, clock.ToUnixNs(7_000_000_000));
        Assert.Equal(wall, clock.ToWallClock(7_000_000_000));
        Assert.Equal(wall.AddTicks(1), clock.ToWallClock(7_000_000_199)); // sub-tick nanoseconds are cut, not rounded
        Assert.Equal(TimeSpan.Zero, clock.ToWallClock(7_000_000_000).Offset);
    }

    [Fact]
    public void TheHostClockAgreesWithTheWallClock()
    {
        BootClock clock = BootClock.Now();

        DateTimeOffset now = clock.ToWallClock(BootClock.BootNowNs());

        Assert.InRange((now - DateTimeOffset.UtcNow).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }
}
