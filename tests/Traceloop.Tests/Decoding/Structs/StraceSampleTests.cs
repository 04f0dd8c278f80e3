using System.Text.RegularExpressions;

namespace Traceloop.Tests.Decoding.Structs;

/// <summary>
/// Every renderer against what strace 6.1 printed on this machine for the same bytes: see
/// <see cref="StraceSample"/> and Probes/ for how the samples were taken.
/// </summary>
public sealed partial class StraceSampleTests
{
    // strace reads set_tid's elements through the pointer in clone_args; the recorder does not capture them.
    private static readonly HashSet<string> NotCaptured = new(StringComparer.Ordinal) { "clone3: set_tid array" };

    public static TheoryData<string, string> Of(string probe)
    {
        var data = new TheoryData<string, string>();
        foreach (StraceSample s in StraceSamples.All)
        {
            if (s.Probe == probe && !NotCaptured.Contains(s.ToString()))
            {
                data.Add(s.Probe, s.Name);
            }
        }
        return data;
    }

    public static TheoryData<string, string> StatSamples => Merge(Of("stat"), Of("stat_inject"));

    public static TheoryData<string, string> SockAddrSamples => Of("sockaddr");

    public static TheoryData<string, string> TimeSamples => Of("time");

    public static TheoryData<string, string> PipeSamples => Of("pipe");

    public static TheoryData<string, string> WaitSamples => Merge(Of("wait"), Of("wait_inject"));

    public static TheoryData<string, string> RlimitSamples => Of("rlimit");

    public static TheoryData<string, string> SignalSamples => Of("signals");

    public static TheoryData<string, string> UnameSamples => Of("uname");

    public static TheoryData<string, string> PollSamples => Of("poll");

    public static TheoryData<string, string> TermiosSamples => Of("termios");

    public static TheoryData<string, string> IoSamples => Of("iov");

    public static TheoryData<string, string> GetdentsSamples => Of("getdents");

    public static TheoryData<string, string> Clone3Samples => Of("clone3");

    [Fact]
    public void EveryProbeHasSamples()
    {
        string[] probes = ["stat", "stat_inject", "sockaddr", "time", "pipe", "wait", "wait_inject", "rlimit", "signals", "uname", "poll", "termios", "iov", "getdents", "clone3"];
        foreach (string probe in probes)
        {
            Assert.NotEmpty(Of(probe));
        }
    }

    [Theory]
    [MemberData(nameof(StatSamples))]
    public void Stat(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(SockAddrSamples))]
    public void SockAddr(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(TimeSamples))]
    public void Time(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(PipeSamples))]
    public void IntPair(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(WaitSamples))]
    public void WaitStatus(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(RlimitSamples))]
    public void Rlimit(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(SignalSamples))]
    public void Signals(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(UnameSamples))]
    public void UtsnameAndSysinfo(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(PollSamples))]
    public void PollAndEpoll(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(TermiosSamples))]
    public void TermiosAndWinsize(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(IoSamples))]
    public void BuffersIovecsAndMsghdr(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(GetdentsSamples))]
    public void Dirents(string probe, string name) => Check(probe, name);

    [Theory]
    [MemberData(nameof(Clone3Samples))]
    public void CloneArgs(string probe, string name) => Check(probe, name);

    private static void Check(string probe, string name)
    {
        StraceSample sample = Array.Find(StraceSamples.All, s => s.Probe == probe && s.Name == name)
            ?? throw new InvalidOperationException($"no sample {probe}: {name}");
        string expected = sample.Expected;
        if (sample.Syscall == "clone3")
        {
            // What the kernel stored at exit (" => {pidfd=[3], ...}") is CloneArgs.AppendResult's, from other captures.
            int changed = expected.IndexOf(" => {", StringComparison.Ordinal);
            expected = changed >= 0 ? expected[..changed] : expected;
        }
        string? actual = SampleRenderer.Render(sample);
        if (Pointer().IsMatch(expected) && sample.Context.Contains("ret=-", StringComparison.Ordinal))
        {
            // A struct the call was to fill, and it failed: strace prints the pointer, and so does the caller without asking a renderer.
            return;
        }
        if (Pointer().IsMatch(expected))
        {
            // strace printed the pointer: the renderer must decline so the caller does the same.
            Assert.Null(actual);
        }
        else
        {
            Assert.Equal(expected, actual);
        }
    }

    private static TheoryData<string, string> Merge(TheoryData<string, string> a, TheoryData<string, string> b)
    {
        foreach (object[] row in b)
        {
            a.Add((string)row[0], (string)row[1]);
        }
        return a;
    }

    [GeneratedRegex("^(0x[0-9a-f]+|NULL)$")]
    private static partial Regex Pointer();
}
