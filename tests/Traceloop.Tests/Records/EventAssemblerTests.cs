using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Records;

public sealed class EventAssemblerTests
{
    private const int NR_read = 0;
    private const int NR_write = 1;
    private const int NR_rt_sigreturn = 15;
    private const int NR_execve = 59;
    private const int NR_exit = 60;
    private const int NR_wait4 = 61;
    private const int NR_futex = 202;
    private const int NR_exit_group = 231;

    [Fact]
    public void EntersPairWithTheNextExitOfTheSameThreadWhenThreadsInterleave()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord readIn = ring.Enter(100, 100, NR_read, 10, [3, 0x1000, 64]);
        WrittenRecord writeIn = ring.Enter(100, 101, NR_write, 11, [1, 0x2000, 5]);
        WrittenRecord writeOut = ring.Exit(100, 101, NR_write, 5, 12);
        WrittenRecord readIn2 = ring.Enter(100, 102, NR_read, 13, [4, 0x3000, 8]);
        WrittenRecord readOut = ring.Exit(100, 100, NR_read, 3, 14);
        WrittenRecord readOut2 = ring.Exit(100, 102, NR_read, -11, 20);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(3, events.Length);
        AssertSyscall(events[0], SyscallCompletion.Complete, pid: 100, tid: 100, NR_read, ts: 10, end: 14, ret: 3, readIn, readOut);
        AssertSyscall(events[1], SyscallCompletion.Complete, pid: 100, tid: 101, NR_write, ts: 11, end: 12, ret: 5, writeIn, writeOut);
        AssertSyscall(events[2], SyscallCompletion.Complete, pid: 100, tid: 102, NR_read, ts: 13, end: 20, ret: -11, readIn2, readOut2);
        Assert.Equal(4UL, events[0].DurationNs);
        Assert.Equal(7UL, events[2].DurationNs);
    }

    [Fact]
    public void AnEnterWithoutExitAtTheEndIsUnfinished()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord enter = ring.Enter(100, 100, NR_futex, 50);

        TraceEvent e = Assert.Single(Assemble(ring));

        Assert.Equal(TraceEventType.Syscall, e.Type);
        Assert.Equal(SyscallCompletion.Unfinished, e.Completion);
        Assert.Equal(enter.DataOffset, e.EnterOffset);
        Assert.Equal(-1, e.ExitOffset);
        Assert.True(e.HasEnter);
        Assert.False(e.HasExit);
        Assert.Equal(0UL, e.DurationNs);
        Assert.Equal(NR_futex, e.Nr);
    }

    [Fact]
    public void AnExitWithoutEnterIsEnterLost()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord exit = ring.Exit(100, 103, NR_read, 42, 60);

        TraceEvent e = Assert.Single(Assemble(ring));

        AssertSyscall(e, SyscallCompletion.EnterLost, pid: 100, tid: 103, NR_read, ts: 60, end: 60, ret: 42, enter: null, exit);
        Assert.False(e.HasEnter);
        Assert.Equal(0UL, e.DurationNs);
    }

    [Fact]
    public void ASecondEnterOnTheSameThreadMeansTheFirstExitWasLost()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord first = ring.Enter(100, 100, NR_read, 10);
        WrittenRecord second = ring.Enter(100, 100, NR_write, 20);
        WrittenRecord secondOut = ring.Exit(100, 100, NR_write, 1, 25);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(2, events.Length);
        Assert.Equal(SyscallCompletion.ExitLost, events[0].Completion);
        Assert.Equal(first.DataOffset, events[0].EnterOffset);
        Assert.Equal(-1, events[0].ExitOffset);
        AssertSyscall(events[1], SyscallCompletion.Complete, pid: 100, tid: 100, NR_write, ts: 20, end: 25, ret: 1, second, secondOut);
    }

    [Fact]
    public void AnExitOfAnotherSyscallLosesBothHalves()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(100, 100, NR_read, 10);
        WrittenRecord strayExit = ring.Exit(100, 100, NR_write, 7, 20);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(2, events.Length);
        Assert.Equal((SyscallCompletion.ExitLost, NR_read), (events[0].Completion, events[0].Nr));
        AssertSyscall(events[1], SyscallCompletion.EnterLost, pid: 100, tid: 100, NR_write, ts: 20, end: 20, ret: 7, enter: null, strayExit);
    }

    [Theory]
    [InlineData(NR_exit_group, true)]
    [InlineData(NR_exit, false)]
    public void ExitFollowedByTheThreadsEndIsNoReturn(int nr, bool leader)
    {
        var ring = new RingBuilder(64 * 1024);
        uint tid = leader ? 100u : 101u;
        WrittenRecord call = ring.Enter(100, tid, nr, 10, [3]);
        WrittenRecord end = ring.ProcessExit(100, tid, 3 << 8, leader, 11, comm: "worker");

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(2, events.Length);
        Assert.Equal(TraceEventType.Syscall, events[0].Type);
        Assert.Equal(SyscallCompletion.NoReturn, events[0].Completion);
        Assert.Equal(call.DataOffset, events[0].EnterOffset);
        Assert.Equal(-1, events[0].ExitOffset);
        Assert.Equal(nr, events[0].Nr);

        Assert.Equal(TraceEventType.ProcessExit, events[1].Type);
        Assert.Equal(end.DataOffset, events[1].EnterOffset);
        Assert.Equal(-1, events[1].ExitOffset);
        Assert.Equal((100u, tid, 11UL, -1), (events[1].Pid, events[1].Tid, events[1].Timestamp, events[1].Nr));
    }

    [Fact]
    public void OtherThreadsBlockedWhenTheGroupExitsStayUnfinished()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(100, 101, NR_futex, 10);
        ring.Enter(100, 100, NR_exit_group, 20, [0]);
        ring.ProcessExit(100, 101, 0, isLeader: false, 21);
        ring.ProcessExit(100, 100, 0, isLeader: true, 22);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(
            [
                (TraceEventType.Syscall, SyscallCompletion.Unfinished, 101u, NR_futex),
                (TraceEventType.Syscall, SyscallCompletion.NoReturn, 100u, NR_exit_group),
                (TraceEventType.ProcessExit, SyscallCompletion.Complete, 101u, -1),
                (TraceEventType.ProcessExit, SyscallCompletion.Complete, 100u, -1),
            ],
            events.Select(e => (e.Type, e.Completion, e.Tid, e.Nr)));
    }

    [Fact]
    public void RtSigreturnPairsWithAnExitReportingSyscallMinusOne()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord enter = ring.Enter(100, 100, NR_rt_sigreturn, 10);
        // orig_ax restored from the signal frame: the exit says -1 (0xffffffff in the record).
        WrittenRecord exit = ring.Exit(100, 100, -1, -4, 11);

        TraceEvent e = Assert.Single(Assemble(ring));

        AssertSyscall(e, SyscallCompletion.Complete, pid: 100, tid: 100, NR_rt_sigreturn, ts: 10, end: 11, ret: -4, enter, exit);
    }

    [Fact]
    public void AnExitReportingMinusOneDoesNotPairWithAnythingButRtSigreturn()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(100, 100, NR_read, 10);
        ring.Exit(100, 100, -1, 0, 11);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(
            [(SyscallCompletion.ExitLost, NR_read), (SyscallCompletion.EnterLost, -1)],
            events.Select(e => (e.Completion, e.Nr)));
    }

    [Fact]
    public void ExecveByANonLeaderThreadReturnsInTheLeadersTid()
    {
        var ring = new RingBuilder(64 * 1024);
        WrittenRecord enter = ring.Enter(100, 105, NR_execve, 10, [0x1000, 0x2000, 0x3000]);
        WrittenRecord exit = ring.Exit(100, 100, NR_execve, 0, 30);

        TraceEvent e = Assert.Single(Assemble(ring));

        AssertSyscall(e, SyscallCompletion.Complete, pid: 100, tid: 100, NR_execve, ts: 10, end: 30, ret: 0, enter, exit);
    }

    [Fact]
    public void ExecveByANonLeaderPairsEvenWhenTheLeaderWasBlockedInASyscall()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(100, 100, NR_wait4, 5);
        WrittenRecord enter = ring.Enter(100, 105, NR_execve, 10);
        WrittenRecord exit = ring.Exit(100, 100, NR_execve, 0, 30);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(2, events.Length);
        Assert.Equal((NR_wait4, SyscallCompletion.ExitLost), (events[0].Nr, events[0].Completion));
        AssertSyscall(events[1], SyscallCompletion.Complete, pid: 100, tid: 100, NR_execve, ts: 10, end: 30, ret: 0, enter, exit);
    }

    [Fact]
    public void AnExecveExitInTheLeadersTidDoesNotStealAnotherProcesssExecve()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(200, 205, NR_execve, 10);
        ring.Exit(100, 100, NR_execve, 0, 30);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal(
            [(200u, 205u, SyscallCompletion.Unfinished), (100u, 100u, SyscallCompletion.EnterLost)],
            events.Select(e => (e.Pid, e.Tid, e.Completion)));
    }

    [Fact]
    public void EventsAreSortedByTimeAndStableForEqualTimes()
    {
        var ring = new RingBuilder(64 * 1024);
        // Reserved in this order on different CPUs; the timestamps were taken just before.
        ring.Enter(1, 11, NR_read, 300);
        ring.Enter(1, 12, NR_read, 100);
        ring.Enter(1, 13, NR_read, 200);
        ring.Enter(1, 14, NR_write, 200);
        ring.Enter(1, 15, NR_futex, 200);
        ring.ProcessExit(1, 16, 0, isLeader: false, 200);
        ring.Exit(1, 12, NR_read, 0, 150);

        TraceEvent[] events = Assemble(ring);

        Assert.Equal([12u, 13u, 14u, 15u, 16u, 11u], events.Select(e => e.Tid));
        Assert.Equal([100UL, 200UL, 200UL, 200UL, 200UL, 300UL], events.Select(e => e.Timestamp));
        Assert.Equal(SyscallCompletion.Complete, events[0].Completion);
    }

    [Fact]
    public void RecordsOfAnUnknownKindAreSkipped()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, NR_read, 1);
        WrittenRecord future = ring.Exit(1, 1, NR_read, 0, 2);
        ring.Corrupt(future, 14, [9]); // kind 9: from a newer kernel program
        ring.Exit(1, 1, NR_read, 4, 3);

        TraceEvent e = Assert.Single(Assemble(ring));

        Assert.Equal((SyscallCompletion.Complete, 4L, 3UL), (e.Completion, e.Ret, e.EndTimestamp));
    }

    [Fact]
    public void AnEmptySnapshotAssemblesToNothing()
    {
        Assert.Empty(Assemble(new RingBuilder(4096)));
    }

    private static TraceEvent[] Assemble(RingBuilder ring)
    {
        using RingSnapshot snapshot = ring.Snapshot();
        return EventAssembler.Assemble(snapshot);
    }

    private static void AssertSyscall(
        in TraceEvent e,
        SyscallCompletion completion,
        uint pid,
        uint tid,
        int nr,
        ulong ts,
        ulong end,
        long ret,
        WrittenRecord? enter,
        WrittenRecord exit)
    {
        Assert.Equal(TraceEventType.Syscall, e.Type);
        Assert.Equal(completion, e.Completion);
        Assert.Equal((pid, tid, nr), (e.Pid, e.Tid, e.Nr));
        Assert.Equal((ts, end, ret), (e.Timestamp, e.EndTimestamp, e.Ret));
        Assert.Equal(enter?.DataOffset ?? -1, e.EnterOffset);
        Assert.Equal(exit.DataOffset, e.ExitOffset);
    }
}
