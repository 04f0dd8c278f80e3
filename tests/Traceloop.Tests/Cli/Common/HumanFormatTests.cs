using Traceloop.Cli.Common.Presentation;

namespace Traceloop.Tests.Cli.Common;

public sealed class HumanFormatTests
{
    [Theory]
    [InlineData(-5, "<invalid>")]
    [InlineData(-1, "0s")]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(200, "3m20s")]
    [InlineData(180, "3m")]
    [InlineData(599, "9m59s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 - 1, "179m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData(5 * 3600 + 30 * 60, "5h30m")]
    [InlineData(8 * 3600, "8h")]
    [InlineData(47 * 3600, "47h")]
    [InlineData(2 * 86400, "2d")]
    [InlineData(2 * 86400 + 5 * 3600, "2d5h")]
    [InlineData(8 * 86400, "8d")]
    [InlineData(729 * 86400, "729d")]
    [InlineData(730 * 86400, "2y")]
    [InlineData(800 * 86400, "2y70d")]
    [InlineData(8 * 365 * 86400, "8y")]
    public void Ages_AreWrittenAsKubectlWritesThem(long seconds, string expected) =>
        Assert.Equal(expected, HumanFormat.Age(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Age_CountsWholeSeconds() =>
        Assert.Equal("45s", HumanFormat.Age(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(45.9)));

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(1023, "1023B")]
    [InlineData(1024, "1KiB")]
    [InlineData(1536, "1.5KiB")]
    [InlineData(10 * 1024, "10KiB")]
    [InlineData(1024 * 1024 - 1, "1MiB")]
    [InlineData(14 * 1024 * 1024 + 400_000, "14MiB")]
    [InlineData(3L * 1024 * 1024 * 1024, "3GiB")]
    [InlineData(long.MaxValue, "8EiB")]
    [InlineData(-2048, "-2KiB")]
    public void Sizes_UseBinaryUnits(long bytes, string expected) =>
        Assert.Equal(expected, HumanFormat.Size(bytes));

    [Theory]
    [InlineData(0.0, "0%")]
    [InlineData(0.375, "38%")]
    [InlineData(1.0, "100%")]
    [InlineData(double.NaN, "?")]
    public void Percent(double share, string expected) => Assert.Equal(expected, HumanFormat.Percent(share));
}
