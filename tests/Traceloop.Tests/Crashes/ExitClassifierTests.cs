using Traceloop.Api;
using Traceloop.Recorder.Crashes;

namespace Traceloop.Tests.Crashes;

public sealed class ExitClassifierTests
{
    private static readonly CrashOptions Defaults = new();

    [Fact]
    public void ACleanExitKeepsNothing() => Assert.Null(ExitClassifier.Classify(0, oomKilled: false, 42, Defaults));

    [Fact]
    public void ANonZeroExitIsAnExitTriggerWithItsCode()
    {
        DumpTrigger t = ExitClassifier.Classify(3 << 8, oomKilled: false, 42, Defaults)!;
        Assert.Equal((DumpTriggerKinds.Exit, 3, (int?)null, 42, "exit code 3"), (t.Kind, t.ExitCode, t.Signal, t.Pid, t.Description));
    }

    [Theory]
    [InlineData(11, false, "SIGSEGV")]
    [InlineData(11 | 0x80, true, "SIGSEGV (core dumped)")]
    [InlineData(6 | 0x80, true, "SIGABRT (core dumped)")]
    [InlineData(9, false, "SIGKILL")]
    public void DeathByASignalIsASignalTrigger(int status, bool core, string description)
    {
        DumpTrigger t = ExitClassifier.Classify(status, oomKilled: false, 7, Defaults)!;
        Assert.Equal((DumpTriggerKinds.Signal, status & 0x7f, core, description, (int?)null), (t.Kind, t.Signal, t.CoreDumped, t.Description, t.ExitCode));
    }

    [Fact]
    public void AnOomVictimIsAnOomTrigger_WhateverItsStatus()
    {
        DumpTrigger killed = ExitClassifier.Classify(9, oomKilled: true, 1, Defaults)!;
        Assert.Equal((DumpTriggerKinds.Oom, 9, "SIGKILL", "OOM kill"), (killed.Kind, killed.Signal, killed.SignalName, killed.Description));
        // A shell whose child was killed exits 137 itself.
        DumpTrigger shell = ExitClassifier.Classify(137 << 8, oomKilled: true, 1, Defaults)!;
        Assert.Equal((DumpTriggerKinds.Oom, 137, (int?)null), (shell.Kind, shell.ExitCode, shell.Signal));
        Assert.Equal(DumpTriggerKinds.Oom, ExitClassifier.Classify(0, oomKilled: true, 1, Defaults)!.Kind);
    }

    [Fact]
    public void EachTriggerCanBeTurnedOff()
    {
        var off = new CrashOptions { DumpOnExit = false, DumpOnSignal = false, DumpOnOom = false };
        Assert.Null(ExitClassifier.Classify(1 << 8, false, 1, off));
        Assert.Null(ExitClassifier.Classify(11, false, 1, off));
        Assert.Null(ExitClassifier.Classify(9, true, 1, off));
        Assert.NotNull(ExitClassifier.Classify(1 << 8, false, 1, new CrashOptions { DumpOnSignal = false }));
    }
}
