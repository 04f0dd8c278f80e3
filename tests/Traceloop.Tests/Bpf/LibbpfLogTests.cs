using Traceloop.Recorder.Bpf;

namespace Traceloop.Tests.Bpf;

/// <summary>A refused program's verifier log reaches the recorder's log and error with the lines that say why.</summary>
public sealed class LibbpfLogTests
{
    [Fact]
    public void AShortWarning_IsKeptWhole()
    {
        string line = "libbpf: prog 'tl_sys_exit': failed to load: -13";
        Assert.Same(line, LibbpfLog.Shorten(line));
    }

    [Fact]
    public void AVerifierLog_KeepsItsFirstLineAndTheEndThatSaysWhy()
    {
        // A refused program's log: the program's name first, megabytes of states, the reason last.
        string first = "prog 'tl_sys_exit': -- BEGIN PROG LOAD LOG --";
        string middle = string.Concat(Enumerable.Repeat("123: (79) r1 = *(u64 *)(r7 +0) ; R1=scalar()\n", 20_000));
        string reason = "invalid access to map value, value_size=1056960 off=1054959 size=3072\n-- END PROG LOAD LOG --";
        string log = first + "\n" + middle + reason;

        string shortened = LibbpfLog.Shorten(log);

        Assert.StartsWith(first + " [... ", shortened);
        Assert.EndsWith(reason, shortened);
        Assert.True(shortened.Length < 2 * LibbpfLog.WarningTail + 100, $"{shortened.Length} characters kept");
        int left = log.Length - first.Length - LibbpfLog.WarningTail;
        Assert.Contains($"[... {left} characters ...]", shortened);
    }
}
