using Traceloop.Api;
using Traceloop.Cli.Commands;

namespace Traceloop.Tests.Cli;

/// <summary>What <c>traceloop version</c> says about the recorder's TLS probes.</summary>
public sealed class VersionLineTests
{
    [Fact]
    public void NoCounts_SayNothing() => Assert.Equal("", VersionCommand.TlsSummary(null));

    [Fact]
    public void ProbesThatCannotRun_GiveTheReason() =>
        Assert.Equal(", no TLS probes: the recorder lacks CAP_SYS_PTRACE",
            VersionCommand.TlsSummary(new TlsProbeCounts { Unavailable = "the recorder lacks CAP_SYS_PTRACE" }));

    [Fact]
    public void RunningProbes_SayWhatIsProbed_AndOnlyTheTroublesThatHappened()
    {
        Assert.Equal(", TLS probes on 1 file (8 uprobes)", VersionCommand.TlsSummary(new TlsProbeCounts { FilesProbed = 1, Uprobes = 8 }));
        Assert.Equal(", TLS probes on 0 files (0 uprobes)", VersionCommand.TlsSummary(new TlsProbeCounts()));
        Assert.Equal(", TLS probes on 3 files (21 uprobes), 1 binary skipped, 2 attach failures, 5 exec notices dropped",
            VersionCommand.TlsSummary(new TlsProbeCounts { FilesProbed = 3, Uprobes = 21, BinariesSkipped = 1, AttachFailures = 2, ExecNoticesDropped = 5 }));
    }
}
