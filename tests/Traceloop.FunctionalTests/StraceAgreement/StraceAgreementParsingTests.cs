namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>The comparison's own parts, on fixed text: they need neither root nor strace.</summary>
public sealed class StraceAgreementParsingTests
{
    [Fact]
    public void StraceLog_JoinsSplitCalls_AtThePositionOfTheirFirstHalf()
    {
        const string log = """
            100  read(3,  <unfinished ...>
            101  write(4, "from the child", 14)    = 14
            100  <... read resumed>"from the child", 64) = 14
            101  +++ exited with 3 +++
            100  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=6, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---

            """;
        List<TraceLine> lines = StraceLog.Parse(log);

        Assert.Equal(["read", "write", "+++", "--- SIGCHLD"], lines.Select(l => l.Key));
        Assert.Equal("read(3, \"from the child\", 64) = 14", lines[0].Full);
        Assert.Equal("14", lines[1].Ret);
        Assert.Equal("exited with 3", lines[2].Ret);
        Assert.Equal(100, lines[3].Tid);
    }

    [Fact]
    public void StraceLog_ACallTheThreadDiedIn_EndsWithAQuestionMark()
    {
        List<TraceLine> lines = StraceLog.Parse("7  nanosleep({tv_sec=0, tv_nsec=20000},  <unfinished ...>\n7  <... nanosleep resumed> <unfinished ...>) = ?\n");

        TraceLine line = Assert.Single(lines);
        Assert.Equal("?", line.Ret);
        Assert.Equal("{tv_sec=0, tv_nsec=20000},", line.Args);
    }

    [Fact]
    public void Parse_SeparatesArgumentsFromTheReturnValue_EvenWhenStringsHoldParenthesesAndEquals()
    {
        TraceLine line = TraceLine.Parse(1, "write(1, \"a) = (b\\\"\", 7) = 7");

        Assert.Equal("write", line.Key);
        Assert.Equal("1, \"a) = (b\\\"\", 7", line.Args);
        Assert.Equal("7", line.Ret);
    }

    [Fact]
    public void Normalisation_ReplacesHexOutsideStringsOnly()
    {
        Assert.Equal("ADDR, \"0x10\", 32, ADDR", Normalisation.Apply("0x7ffc1234, \"0x10\", 32, 0x20"));
        Assert.Equal("-1 ENOENT (No such file or directory)", Normalisation.Apply("-1 ENOENT (No such file or directory)"));
    }

    [Fact]
    public void DumpLog_StripsTheDurationAndKeepsTheChildsHalfOfClone()
    {
        List<TraceLine> lines = DumpLog.FromEvents(
        [
            new Api.TraceEventDto { Tid = 5, Text = "close(3) = 0 <0.000010>" },
            new Api.TraceEventDto { Tid = 6, Text = "<... clone resumed>) = 0" },
        ]);

        Assert.Equal("close(3) = 0", lines[0].Full);
        Assert.Equal(("clone", "0"), (lines[1].Key, lines[1].Ret));
    }

    [Fact]
    public void Alignment_OneMissingLineShiftsNothing_AndARestartedCallPairsWithItsTwin()
    {
        List<TraceLine> strace = StraceLog.Parse("""
            1  openat(AT_FDCWD, "/a", O_RDONLY) = 3
            1  futex(0x1, FUTEX_WAIT_PRIVATE, 0, NULL) = 0
            1  close(3) = 0
            1  exit_group(0) = ?

            """);
        List<TraceLine> ours =
        [
            TraceLine.Parse(1, "openat(AT_FDCWD, \"/a\", O_RDONLY) = 3"),
            TraceLine.Parse(1, "futex(0x1, FUTEX_WAIT_PRIVATE, 0, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"),
            TraceLine.Parse(1, "futex(0x1, FUTEX_WAIT_PRIVATE, 0, NULL) = 0"),
            TraceLine.Parse(1, "exit_group(0) = ?"),
        ];

        Assert.Equal([0, 2, -1, 3], LineAlignment.Align(strace, ours));
    }
}
