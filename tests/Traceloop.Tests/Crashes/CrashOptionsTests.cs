using Microsoft.Extensions.Options;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Decoding;

namespace Traceloop.Tests.Crashes;

public sealed class CrashOptionsTests
{
    [Fact]
    public void TheDefaultsAreValid_AndKeepCrashesButNotNoise()
    {
        var o = new CrashOptions();
        Assert.True(new CrashOptionsValidator().Validate(Options.DefaultName, o).Succeeded);
        Assert.Equal((true, true, true, false, ""), (o.DumpOnExit, o.DumpOnSignal, o.DumpOnOom, o.DumpOnFatalSignal, o.WatchSyscallErrors));
        Assert.Equal((10, 1L << 30, 512L << 20), (o.DumpsPerContainer, o.DumpsMaxBytesValue, o.DumpsMinFreeBytesValue));
    }

    [Fact]
    public void EveryMistakeIsReported()
    {
        ValidateOptionsResult r = new CrashOptionsValidator().Validate(Options.DefaultName, new CrashOptions
        {
            DumpsPerContainer = 0,
            DumpsMaxBytes = "1K",
            DumpsMinFreeBytes = "a lot",
            DumpEventInterval = TimeSpan.FromSeconds(-1),
            WatchSyscallErrors = "connect",
        });
        Assert.Equal(5, r.Failures!.Count());
        Assert.Contains("WatchSyscallErrors: 'connect' is not syscall:ERRNO (e.g. connect:ECONNREFUSED)", r.Failures!);
    }

    [Fact]
    public void WatchedErrorsAreParsedByName()
    {
        Assert.True(WatchedErrors.TryParse(" connect:ECONNREFUSED, openat:EACCES,connect:ECONNREFUSED ", out var pairs, out _));
        Assert.True(SyscallTable.TryGetNumber("connect", out int connect));
        Assert.True(SyscallTable.TryGetNumber("openat", out int openat));
        Assert.Equal([(connect, 111), (openat, 13)], pairs);
        Assert.True(WatchedErrors.TryParse("", out var none, out _));
        Assert.Empty(none);
        Assert.False(WatchedErrors.TryParse("nosuchcall:EPERM", out _, out string? error));
        Assert.Equal("'nosuchcall' is not a syscall name this recorder knows", error);
        Assert.False(WatchedErrors.TryParse("connect:EBOGUS", out _, out error));
        Assert.Equal("'EBOGUS' is not an errno name such as ECONNREFUSED", error);
    }

    [Fact]
    public void TheOomProgramLoadsOnlyWhereTheTracepointNamesTheTask()
    {
        var o = new CrashOptions();
        Assert.True(CrashTriggers.ForKernel(o, new Version(6, 18)).OomVictim);
        Assert.False(CrashTriggers.ForKernel(o, new Version(6, 8)).OomVictim);
        Assert.False(CrashTriggers.ForKernel(new CrashOptions { DumpOnOom = false }, new Version(6, 18)).OomVictim);
        var k = CrashTriggers.ForKernel(new CrashOptions { DumpOnFatalSignal = true, WatchSyscallErrors = "connect:ECONNREFUSED" }, new Version(6, 18));
        Assert.True(k.FatalSignals);
        Assert.Single(k.WatchedErrors!);
    }
}
