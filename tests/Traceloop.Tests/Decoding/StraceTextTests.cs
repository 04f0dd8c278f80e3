using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Decoding;

public sealed class StraceTextTests
{
    private const int NR_read = 0;
    private const int NR_rt_sigreturn = 15;
    private const int NR_exit_group = 231;
    private const int NR_openat = 257;
    private const ulong AtFdCwd = unchecked((ulong)-100);
    private const ulong BootNs = 5_000_000_000;

    // 2024-05-06T12:03:04.123456Z at boot time BootNs.
    private static readonly BootClock Clock = BootClock.WithOffset(
        (new DateTimeOffset(2024, 5, 6, 12, 3, 4, TimeSpan.Zero).AddTicks(1_234_560).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100 - (long)BootNs);

    [Fact]
    public void AFailedOpenatReadsLikeStrace()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(4242, 4242, NR_openat, BootNs, [AtFdCwd, 0x7ffd_1234_5678, 0, 0], comm: "cat",
            payloads: [PayloadSpec.String(1, "/nonexistent")]);
        ring.Exit(4242, 4242, NR_openat, -2, BootNs + 12_000);

        Assert.Equal(
            ["12:03:04.123456 4242 cat openat(AT_FDCWD, \"/nonexistent\", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000012>\n"],
            Render(ring));
    }

    [Fact]
    public void AnotherThreadShowsPidSlashTidAndASuccessfulReturn()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(4242, 4243, NR_read, BootNs + 1_000, [3, 0x7f00_0000_1000, 4096], comm: "worker");
        ring.Exit(4242, 4243, NR_read, 12, BootNs + 1_500_001_000);

        Assert.Equal(
            ["12:03:04.123457 4242/4243 worker read(3, 0x7f0000001000, 4096) = 12 <1.500000>\n"],
            Render(ring));
    }

    [Fact]
    public void UnfinishedNoReturnEnterLostAndExitLostHaveTheirOwnEndings()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Exit(10, 11, NR_read, 5, BootNs);                               // enter lost
        ring.Enter(10, 12, NR_read, BootNs + 1_000, [3, 0x1000, 10]);        // exit lost: same tid enters again
        ring.Enter(10, 12, NR_read, BootNs + 2_000, [4, 0x2000, 20]);        // unfinished
        ring.Enter(10, 10, NR_exit_group, BootNs + 3_000, [3]);              // no return
        ring.ProcessExit(10, 10, 3 << 8, isLeader: true, BootNs + 4_000);

        Assert.Equal(
            [
                "12:03:04.123456 10/11 ? <... read resumed>) = 5\n",
                "12:03:04.123457 10/12 test read(3, 0x1000, 10) = ? <exit not recorded>\n",
                "12:03:04.123458 10/12 test read(4, 0x2000, 20) <unfinished ...>\n",
                "12:03:04.123459 10 test exit_group(3) = ?\n",
                "12:03:04.123460 10 test +++ exited with 3 +++\n",
            ],
            Render(ring));
    }

    [Fact]
    public void ACutPathEndsWithTheTruncationMarker()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, NR_openat, BootNs, [AtFdCwd, 0x1000, 0x80000, 0],
            payloads: [PayloadSpec.String(1, "/very/long/pa", PayloadFlags.Truncated)]);
        ring.Exit(1, 1, NR_openat, 3, BootNs + 2_000);

        Assert.Equal(["openat(AT_FDCWD, \"/very/long/pa\"..., O_RDONLY|O_CLOEXEC) = 3 <0.000002>"], RenderCalls(ring));
        using RingSnapshot snapshot = ring.Snapshot();
        Assert.True(RecordView.IsTruncated(snapshot.Buffer, EventAssembler.Assemble(snapshot)[0]));
    }

    [Fact]
    public void APathThatCouldNotBeReadPrintsThePointer()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, NR_openat, BootNs, [AtFdCwd, 0xdead_0000, 0, 0],
            payloads: [new PayloadSpec(PayloadKind.String, 1, [], PayloadFlags.Fault)]);
        ring.Exit(1, 1, NR_openat, -14, BootNs);

        Assert.Equal(["openat(AT_FDCWD, 0xdead0000, O_RDONLY) = -1 EFAULT (Bad address) <0.000000>"], RenderCalls(ring));
    }

    [Fact]
    public void AnUncapturedSignalFrameAndAnUnknownNumberPrintWhatIsKnown()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, NR_rt_sigreturn, BootNs);
        ring.Exit(1, 1, -1, 0, BootNs + 1_000);
        ring.Enter(1, 1, 999, BootNs + 2_000, [1, 2, 3, 4, 5, 0xffff_ffff_ffff_ffff]);
        ring.Exit(1, 1, 999, -38, BootNs + 3_000);

        Assert.Equal(
            [
                "rt_sigreturn({mask=???}) = 0 <0.000001>",
                "syscall_999(0x1, 0x2, 0x3, 0x4, 0x5, 0xffffffffffffffff) = -1 ENOSYS (Function not implemented) <0.000001>",
            ],
            RenderCalls(ring));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(3, "3")]
    [InlineData(140_737_488_355_328, "140737488355328")]
    [InlineData(-1, "-1 EPERM (Operation not permitted)")]
    [InlineData(-2, "-1 ENOENT (No such file or directory)")]
    [InlineData(-11, "-1 EAGAIN (Resource temporarily unavailable)")]
    [InlineData(-600, "-1 E600")]
    [InlineData(-4095, "-1 E4095")]
    [InlineData(-4096, "-4096")]
    [InlineData(long.MinValue, "-9223372036854775808")]
    public void ReturnValuesAreNumbersOrErrnos(long ret, string expected)
    {
        var sb = new StringBuilder();

        StraceText.AppendReturn(sb, ret);

        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData(512, "? ERESTARTSYS (To be restarted if SA_RESTART is set)")]
    [InlineData(513, "? ERESTARTNOINTR (To be restarted)")]
    [InlineData(516, "? ERESTART_RESTARTBLOCK (Interrupted by signal)")]
    public void KernelRestartCodesReturnNothingToTheProgramSoTheyPrintAsQuestionMark(int errno, string expected)
    {
        // strace (syscall.c, syscall_exiting_trace): "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)".
        // The program never sees -1 for these: the kernel restarts the call or turns it into EINTR.
        var sb = new StringBuilder();

        StraceText.AppendReturn(sb, -errno);

        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData(3 << 8, true, "+++ exited with 3 +++")]
    [InlineData(0, true, "+++ exited with 0 +++")]
    [InlineData(255 << 8, true, "+++ exited with 255 +++")]
    [InlineData(11 | 0x80, true, "+++ killed by SIGSEGV (core dumped) +++")]
    [InlineData(9, true, "+++ killed by SIGKILL +++")]
    [InlineData(6 | 0x80, true, "+++ killed by SIGABRT (core dumped) +++")]
    [InlineData(0, false, "+++ exited with 0 +++")]
    [InlineData(15, false, "+++ killed by SIGTERM +++")]
    public void ProcessAndThreadExits(int exitCode, bool leader, string expected)
    {
        var sb = new StringBuilder();

        StraceText.AppendProcessExit(sb, new tl_proc_exit { exit_code = exitCode, is_leader = leader ? 1u : 0u });

        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void AProcessExitLineCarriesItsCommand()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.ProcessExit(77, 78, 11 | 0x80, isLeader: true, BootNs, comm: "a-very-long-command-name");

        // comm is 15 bytes at most, as the kernel keeps it.
        Assert.Equal(["12:03:04.123456 77/78 a-very-long-com +++ killed by SIGSEGV (core dumped) +++\n"], Render(ring));
    }

    [Theory]
    [InlineData(1, "SIGHUP")]
    [InlineData(9, "SIGKILL")]
    [InlineData(17, "SIGCHLD")]
    [InlineData(31, "SIGSYS")]
    [InlineData(99, "99")]
    public void SignalNamesFollowX8664Numbering(int signal, string name)
    {
        Assert.Equal(name, SignalNames.Name(signal));
    }

    private static string[] Render(RingBuilder ring)
    {
        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        return events.Select(e =>
        {
            var sb = new StringBuilder();
            DumpLine.Append(sb, snapshot.Buffer, e, Clock);
            return sb.ToString();
        }).ToArray();
    }

    private static string[] RenderCalls(RingBuilder ring)
    {
        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        return events.Select(e =>
        {
            var sb = new StringBuilder();
            StraceText.AppendCall(sb, snapshot.Buffer, e);
            return sb.ToString();
        }).ToArray();
    }
}
