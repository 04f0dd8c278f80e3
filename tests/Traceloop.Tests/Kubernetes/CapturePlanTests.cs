using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class CapturePlanTests
{
    private static PodInfo Pod(string ns, params (string Key, string Value)[] labels) =>
        new(ns, "p", Guid.NewGuid().ToString(), labels.ToDictionary(l => l.Key, l => l.Value), "node-a", "Running", "1", []);

    [Theory]
    [InlineData("full", 0u)]
    [InlineData("no-payload", 1u)]
    [InlineData("no-argv", 2u)]
    [InlineData("no-payload,no-argv", 3u)]
    [InlineData(" No-Argv , no-payload ", 3u)]
    public void Levels_ParseAndFormatBack(string text, uint bits)
    {
        var expected = (CaptureLevel)bits;
        Assert.True(CaptureLevels.TryParse(text, out CaptureLevel level, out string? error), error);
        Assert.Equal(expected, level);
        Assert.True(CaptureLevels.TryParse(CaptureLevels.Format(level), out CaptureLevel again, out _));
        Assert.Equal(level, again);
    }

    [Theory]
    [InlineData("", "not an empty value")]
    [InlineData("no-secrets", "unknown capture level 'no-secrets'")]
    [InlineData("full,nothing", "unknown capture level 'nothing'")]
    public void BadLevels_AreRefusedWithTheirReason(string text, string reason)
    {
        Assert.False(CaptureLevels.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFirstMatchingRuleWins_AndTheDefaultCoversTheRest()
    {
        var options = new CaptureOptions
        {
            Default = "no-argv",
            Rules =
            [
                new CaptureRule { Namespaces = "payments", LabelSelector = "tier=db", Level = "full" },
                new CaptureRule { Namespaces = "payments, auth", Level = "no-payload" },
                new CaptureRule { LabelSelector = "debug=true", Level = "full" },
            ],
        };
        Assert.True(CapturePlan.TryParse(options, out CapturePlan? plan, out string? error), error);

        Assert.Equal(CaptureLevel.Full, plan.For(Pod("payments", ("tier", "db"))));
        Assert.Equal(CaptureLevel.NoPayload, plan.For(Pod("payments", ("tier", "web"))));
        Assert.Equal(CaptureLevel.NoPayload, plan.For(Pod("auth")));
        Assert.Equal(CaptureLevel.Full, plan.For(Pod("shop", ("debug", "true"))));
        Assert.Equal(CaptureLevel.NoArgv, plan.For(Pod("shop")));
        Assert.Equal(CaptureLevel.NoArgv, plan.Default);
    }

    [Fact]
    public void ABadRule_NamesItsPlace()
    {
        var options = new CaptureOptions { Rules = [new CaptureRule { Namespaces = "a", Level = "full" }, new CaptureRule { LabelSelector = "app in (x)", Level = "full" }] };
        Assert.False(CapturePlan.TryParse(options, out _, out string? error));
        Assert.StartsWith("Capture:Rules:1:LabelSelector: ", error, StringComparison.Ordinal);
        Assert.False(new CaptureOptionsValidator().Validate(null, options).Succeeded);
    }
}
