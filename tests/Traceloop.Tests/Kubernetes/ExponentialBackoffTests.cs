using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class ExponentialBackoffTests
{
    [Fact]
    public void DelaysDouble_WithinHalfToAllOfEachStep_UpToTheCap()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), new Random(42));
        double[] steps = [100, 200, 400, 800, 1000, 1000, 1000];

        foreach (double step in steps)
        {
            double delay = backoff.Next().TotalMilliseconds;
            Assert.InRange(delay, step / 2, step);
        }
        Assert.Equal(steps.Length, backoff.Failures);
    }

    [Fact]
    public void DelaysAreJittered_SoRecordersDoNotReturnTogether()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), new Random(7));

        var delays = Enumerable.Range(0, 20).Select(_ => backoff.Next()).Distinct().Count();

        Assert.True(delays > 15);
    }

    [Fact]
    public void ResetStartsOverFromTheInitialDelay()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        for (int i = 0; i < 10; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.Equal(0, backoff.Failures);
        Assert.InRange(backoff.Next().TotalMilliseconds, 50, 100);
    }

    [Fact]
    public void AVeryLongStreakStaysAtTheCap()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(30));
        for (int i = 0; i < 10_000; i++)
        {
            backoff.Next();
        }

        Assert.InRange(backoff.Next().TotalSeconds, 15, 30);
    }
}
