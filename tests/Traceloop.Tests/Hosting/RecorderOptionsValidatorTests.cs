using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Tests.Hosting;

public sealed class RecorderOptionsValidatorTests
{
    [Fact]
    public void TheDefaultsAreValid()
    {
        var options = new RecorderOptions();

        ValidateOptionsResult result = Validate(options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(1024 * 1024, options.RingSizeBytes);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            RecorderOptionsValidator.SocketModeBits(options));
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("OFF", false)]
    public void TlsIsOnOrOff(string value, bool enabled)
    {
        var options = new RecorderOptions { Tls = value };

        ValidateOptionsResult result = Validate(options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(enabled, options.TlsEnabled);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("")]
    [InlineData("true")]
    public void TlsIsRefusedWhenNeitherOnNorOff(string value)
    {
        ValidateOptionsResult result = Validate(new RecorderOptions { Tls = value });

        Assert.False(result.Succeeded);
        Assert.Contains($"Tls '{value}' must be on or off", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("64K")]
    [InlineData("128k")]
    [InlineData("256K")]
    [InlineData("1M")]
    [InlineData("1MiB")]
    [InlineData("2M")]
    [InlineData("65536")]
    [InlineData("2097152")]
    public void PowersOfTwoFrom64KTo2MAreValidRingSizes(string size)
    {
        ValidateOptionsResult result = Validate(new RecorderOptions { RingSize = size });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("32K")]
    [InlineData("4M")]
    [InlineData("100K")]
    [InlineData("3M")]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("-64K")]
    [InlineData("0")]
    public void OtherRingSizesAreRejectedByName(string size)
    {
        ValidateOptionsResult result = Validate(new RecorderOptions { RingSize = size });

        Assert.True(result.Failed);
        string failure = Assert.Single(result.Failures!);
        Assert.Contains($"RingSize '{size}'", failure, StringComparison.Ordinal);
        Assert.Contains("power of two from 64K to 2M", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("traceloop.sock")]
    [InlineData("run/traceloop.sock")]
    [InlineData("./x.sock")]
    public void ARelativeSocketPathIsRejected(string path)
    {
        ValidateOptionsResult result = Validate(new RecorderOptions { SocketPath = path });

        string failure = Assert.Single(result.Failures!);
        Assert.Contains("must be an absolute path", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ASocketPathLongerThanSunPathAllowsIsRejected()
    {
        string fits = "/" + new string('s', 106);       // 107 bytes and the NUL: sun_path is 108
        string tooLong = "/" + new string('s', 107);    // 108 bytes
        string multiByte = "/" + new string('é', 54);   // 109 bytes in UTF-8, 55 chars

        Assert.True(Validate(new RecorderOptions { SocketPath = fits }).Succeeded);
        Assert.Contains("107 bytes", Assert.Single(Validate(new RecorderOptions { SocketPath = tooLong }).Failures!), StringComparison.Ordinal);
        Assert.Contains("107 bytes", Assert.Single(Validate(new RecorderOptions { SocketPath = multiByte }).Failures!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0600", 0x180)]
    [InlineData("660", 0x1b0)]
    [InlineData("0777", 0x1ff)]
    [InlineData("0", 0)]
    public void SocketModesAreOctal(string mode, int bits)
    {
        var options = new RecorderOptions { SocketMode = mode };

        Assert.True(Validate(options).Succeeded);
        Assert.Equal((UnixFileMode)bits, RecorderOptionsValidator.SocketModeBits(options));
    }

    [Theory]
    [InlineData("0999")]
    [InlineData("rw-rw----")]
    [InlineData("01777")]  // setuid/sticky bits are not socket permissions
    [InlineData("1000")]
    [InlineData("0x1ff")]
    [InlineData("")]
    [InlineData("-1")]
    public void BadSocketModesAreReportedNotThrown(string mode)
    {
        ValidateOptionsResult? result = null;
        Exception? thrown = Record.Exception(() => result = Validate(new RecorderOptions { SocketMode = mode }));

        Assert.Null(thrown);
        string failure = Assert.Single(result!.Failures!);
        Assert.Contains($"SocketMode '{mode}'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        var options = new RecorderOptions
        {
            RingSize = "3M",
            MaxContainers = 0,
            SpareRings = 0,
            GracePeriod = TimeSpan.FromSeconds(-1),
            MaxStringBytes = 2048,
            SocketPath = "relative.sock",
            DataDir = "data",
            SocketMode = "9",
        };

        ValidateOptionsResult result = Validate(options);

        Assert.Equal(8, result.Failures!.Count());
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(4096, true)]
    [InlineData(4097, false)]
    public void MaxContainersIsBounded(int max, bool valid)
    {
        var options = new RecorderOptions { MaxContainers = max, SpareRings = 1 };

        Assert.Equal(valid, Validate(options).Succeeded);
    }

    [Theory]
    [InlineData(15, false)]
    [InlineData(16, true)]
    [InlineData(1024, true)]
    [InlineData(1025, false)]
    public void MaxStringBytesStaysWithinTheKernelsLimit(int bytes, bool valid)
    {
        Assert.Equal(valid, Validate(new RecorderOptions { MaxStringBytes = bytes }).Succeeded);
    }

    [Theory]
    [InlineData("1M", 1024 * 1024)]
    [InlineData("256K", 256 * 1024)]
    [InlineData("256k", 256 * 1024)]
    [InlineData("1MiB", 1024 * 1024)]
    [InlineData("64KiB", 64 * 1024)]
    [InlineData("1MB", 1024 * 1024)]
    [InlineData("65536", 65536)]
    [InlineData(" 2M ", 2 * 1024 * 1024)]
    [InlineData("2047M", 2047 * 1024 * 1024)]
    public void ParseSizeReadsBytesKAndM(string text, int expected)
    {
        Assert.Equal(expected, RecorderOptions.ParseSize(text));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("KiB")]
    [InlineData("1G")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1.5M")]
    [InlineData("1 M")]
    [InlineData("2048M")]               // 2^31: does not fit an int
    [InlineData("99999999999999999999")]
    [InlineData("8796093022208M")]      // 2^43 * 2^20 = 2^63: wraps to long.MinValue
    [InlineData("9223372036854775807K")] // long.MaxValue * 1024 wraps to -1024
    public void ParseSizeRefusesAnythingElse(string text)
    {
        Assert.Null(RecorderOptions.ParseSize(text));
    }

    private static ValidateOptionsResult Validate(RecorderOptions options) =>
        new RecorderOptionsValidator().Validate(Options.DefaultName, options);

    [Fact]
    public void TheDumpLimitsAreRefusedOutsideTheirRanges_AndTheRingCopiesTheyHoldMustFitTheBudget()
    {
        Assert.Contains("MaxConcurrentDumps 0", Validate(new RecorderOptions { MaxConcurrentDumps = 0 }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("times RingSize '2M' must be at most 64M",
            Validate(new RecorderOptions { MaxConcurrentDumps = 33, RingSize = "2M" }).FailureMessage, StringComparison.Ordinal);
        Assert.True(Validate(new RecorderOptions { MaxConcurrentDumps = 32, RingSize = "2M" }).Succeeded);
        Assert.Contains("DumpQueue -1", Validate(new RecorderOptions { DumpQueue = -1 }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("MinResponseRate 'fast'", Validate(new RecorderOptions { MinResponseRate = "fast" }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("MinResponseRateGrace", Validate(new RecorderOptions { MinResponseRateGrace = TimeSpan.FromSeconds(1) }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("MaxConnections 0", Validate(new RecorderOptions { MaxConnections = 0 }).FailureMessage, StringComparison.Ordinal);
        Assert.Equal(16 * 1024, new RecorderOptions().MinResponseRateBytes);
    }

    [Fact]
    public void TheTlsPlaintextLimit_FollowsMaxBytesUntilSet_AndIsCheckedAgainstThePayloadLimit()
    {
        Assert.Null(new RecorderOptions().MaxTlsBytes);
        Assert.Equal(64, new RecorderOptions().MaxTlsBytesValue);
        Assert.Equal(200, new RecorderOptions { MaxDataBytes = 200 }.MaxTlsBytesValue);
        Assert.Equal(2048, new RecorderOptions { MaxDataBytes = 32, MaxTlsBytes = 2048 }.MaxTlsBytesValue);
        Assert.Equal(0, new RecorderOptions { MaxTlsBytes = 0 }.MaxTlsBytesValue);

        // Up to a record's whole payload room, beyond what a syscall buffer may keep.
        Assert.True(Validate(new RecorderOptions { MaxTlsBytes = 3072 }).Succeeded);
        Assert.True(Validate(new RecorderOptions { MaxTlsBytes = 0 }).Succeeded);
        Assert.Equal("MaxTlsBytes 3073 must be from 0 to 3072", Assert.Single(Validate(new RecorderOptions { MaxTlsBytes = 3073 }).Failures!));
        Assert.Equal("MaxTlsBytes -1 must be from 0 to 3072", Assert.Single(Validate(new RecorderOptions { MaxTlsBytes = -1 }).Failures!));
    }

    [Theory]
    [InlineData(null, 100, 100)]
    [InlineData("512", 100, 512)]
    public void TheTlsPlaintextLimit_IsBoundFromTheCommandLinesName(string? tls, int data, int expected)
    {
        var values = new Dictionary<string, string?> { [nameof(RecorderOptions.MaxDataBytes)] = data.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (tls is not null)
        {
            values[nameof(RecorderOptions.MaxTlsBytes)] = tls;
        }
        var options = new RecorderOptions();
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().Bind(options);

        Assert.Equal(expected, options.MaxTlsBytesValue);
        Assert.Equal(expected, KernelConfigFor(options).MaxTlsBytes);
    }

    private static Traceloop.Recorder.Bpf.KernelProbesConfig KernelConfigFor(RecorderOptions options) =>
        KernelConfig.From(options, new Traceloop.Recorder.Crashes.CrashOptions(), new Traceloop.Recorder.Metrics.MetricsOptions(), Traceloop.Recorder.Containers.CgroupFs.At("/sys/fs/cgroup"));
}
