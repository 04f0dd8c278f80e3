using System.Text;
using System.Text.Json;
using Traceloop.Api;
using Traceloop.Cli.Common.Export;
using Traceloop.TestCommon.Cli;
using Traceloop.Tests.Api;

namespace Traceloop.Tests.Cli.Common;

public sealed class PerfettoTraceWriterTests
{
    private static readonly long T0Ns = (ApiSamples.T0.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    [Fact]
    public void APodDump_FollowsTheTraceEventFormat()
    {
        string json = Export(PodDump());
        Assert.Empty(TraceEventFormatRules.Violations(json));
    }

    [Fact]
    public void Syscalls_AreSlicesInMicroseconds_WithTheirArguments()
    {
        using JsonDocument doc = JsonDocument.Parse(Export(PodDump()));
        JsonElement openat = Events(doc).Single(e => e.GetProperty("name").GetString() == "openat");
        Assert.Equal("X", openat.GetProperty("ph").GetString());
        Assert.Equal(4242, openat.GetProperty("pid").GetInt32());
        Assert.Equal(4243, openat.GetProperty("tid").GetInt32());
        // 1234 ns after the window start, 12 µs long: the nanoseconds survive as decimals.
        Assert.Equal(1.234m, openat.GetProperty("ts").GetDecimal());
        Assert.Equal(12m, openat.GetProperty("dur").GetDecimal());
        JsonElement args = openat.GetProperty("args");
        Assert.Equal("AT_FDCWD", args.GetProperty("dfd").GetString());
        Assert.Equal("\"/etc/passwd\"", args.GetProperty("filename").GetString());
        Assert.Equal(-2, args.GetProperty("return").GetInt64());
        Assert.Equal("ENOENT (No such file or directory)", args.GetProperty("errno").GetString());
        Assert.Equal("shop/web/app", args.GetProperty("container").GetString());
    }

    [Fact]
    public void ProcessesAndThreads_AreNamed()
    {
        using JsonDocument doc = JsonDocument.Parse(Export(PodDump()));
        var names = Events(doc).Where(e => e.GetProperty("ph").GetString() == "M")
            .Select(e => (Kind: e.GetProperty("name").GetString(), Pid: e.GetProperty("pid").GetInt32(), Tid: e.GetProperty("tid").GetInt32(), Name: e.GetProperty("args").GetProperty("name").GetString()))
            .ToList();
        Assert.Contains(("process_name", 4242, 0, "nginx (shop/web/app)"), names);
        Assert.Contains(("process_name", 5000, 0, "envoy (shop/web/sidecar)"), names);
        Assert.Contains(("thread_name", 4242, 4242, "nginx"), names);
        Assert.Contains(("thread_name", 4242, 4243, "worker"), names);
    }

    [Fact]
    public void UnfinishedCalls_RunToTheSnapshot_AndLostExits_DoNotOverlapTheNextCall()
    {
        using JsonDocument doc = JsonDocument.Parse(Export(PodDump()));
        JsonElement[] events = Events(doc);
        JsonElement epoll = events.Single(e => e.GetProperty("name").GetString() == "epoll_wait" && e.GetProperty("pid").GetInt32() == 4242);
        // Entered 50 µs into the window and never returned: it ends where its thread exited, at 62 µs.
        Assert.Equal(12m, epoll.GetProperty("dur").GetDecimal());
        Assert.Equal("unfinished when the dump was taken", epoll.GetProperty("args").GetProperty("return").GetString());
        // The sidecar's futex, entered at 46 µs, was still waiting when the window ended at 100 µs.
        JsonElement futex = events.Single(e => e.GetProperty("name").GetString() == "futex");
        Assert.Equal(54m, futex.GetProperty("dur").GetDecimal());
        JsonElement read = events.Single(e => e.GetProperty("name").GetString() == "read");
        // Its exit was lost and the thread entered write 3 µs later: the slice cannot reach past it.
        Assert.True(read.GetProperty("ts").GetDecimal() + read.GetProperty("dur").GetDecimal() <= 23m);
        Assert.Contains("return was not recorded", read.GetProperty("args").GetProperty("recorded").GetString(), StringComparison.Ordinal);
        JsonElement exit = events.Single(e => e.GetProperty("name").GetString() == "exit_group");
        Assert.Equal(0m, exit.GetProperty("dur").GetDecimal());
    }

    [Fact]
    public void SignalsExitsAndTheTrigger_AreInstants()
    {
        using JsonDocument doc = JsonDocument.Parse(Export(PodDump()));
        JsonElement[] events = Events(doc);
        JsonElement signal = events.Single(e => e.GetProperty("name").GetString() == "SIGSEGV");
        Assert.Equal(("i", "t"), (signal.GetProperty("ph").GetString(), signal.GetProperty("s").GetString()));
        JsonElement died = events.Single(e => e.GetProperty("name").GetString() == "killed by SIGSEGV (core dumped)");
        Assert.Equal(("i", "p"), (died.GetProperty("ph").GetString(), died.GetProperty("s").GetString()));
        JsonElement thread = events.Single(e => e.GetProperty("name").GetString() == "thread exited with 0");
        Assert.Equal("t", thread.GetProperty("s").GetString());
        JsonElement trigger = events.Single(e => e.GetProperty("name").GetString() == "trigger: SIGSEGV (core dumped)");
        Assert.Equal(("i", "g"), (trigger.GetProperty("ph").GetString(), trigger.GetProperty("s").GetString()));
        Assert.Equal("20260505T120000123Z-0123456789ab", trigger.GetProperty("args").GetProperty("dump_id").GetString());
        Assert.Equal("ns", doc.RootElement.GetProperty("displayTimeUnit").GetString());
        Assert.Equal(T0Ns, doc.RootElement.GetProperty("otherData").GetProperty("startTimeUnixNs").GetInt64());
    }

    [Fact]
    public void LostEvents_AreMarkedWhereTheWindowStarts()
    {
        DumpHeader header = Header("app", 4242, events: 1);
        header = new DumpHeader
        {
            Container = header.Container, TakenAt = header.TakenAt, WindowStart = ApiSamples.T0.AddTicks(10), WindowEnd = header.WindowEnd,
            Events = 1, EventsLost = 77, TraceloopVersion = "0.1.0",
        };
        string json = Export([(header, [Syscall("nginx", 4242, "getpid", T0Ns + 1000, 100, ret: 4242)])]);
        Assert.Empty(TraceEventFormatRules.Violations(json));
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement lost = Events(doc).Single(e => e.GetProperty("name").GetString() == "77 earlier events lost (shop/web/app)");
        Assert.Equal("g", lost.GetProperty("s").GetString());
        Assert.Equal(0m, lost.GetProperty("ts").GetDecimal());
        Assert.Equal(77, doc.RootElement.GetProperty("otherData").GetProperty("eventsLost").GetInt64());
        Assert.DoesNotContain(Events(PodDumpDocument()), e => e.GetProperty("name").GetString()!.Contains("lost", StringComparison.Ordinal));
    }

    private static JsonDocument PodDumpDocument() => JsonDocument.Parse(Export(PodDump()));

    [Fact]
    public void AFullRing_StreamsAndStaysValid()
    {
        DumpHeader header = Header("app", 4242, events: 14_000);
        var events = new List<TraceEventDto>();
        for (int i = 0; i < 14_000; i++)
        {
            // Four threads interleaved; timestamps slightly out of order across threads, as CPUs write them.
            int tid = 4242 + i % 4;
            events.Add(Syscall(tid == 4242 ? "nginx" : "worker", tid, "getpid", T0Ns + i * 1000L + (i % 3) * 7, 900, ret: 4242));
        }
        var output = new MemoryStream();
        PerfettoTraceWriter.Write(output, header, events);
        string json = Encoding.UTF8.GetString(output.ToArray());
        Assert.Empty(TraceEventFormatRules.Violations(json));
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal(14_000, Events(doc).Count(e => e.GetProperty("ph").GetString() == "X"));
    }

    [Fact]
    public void AnEmptyDump_IsAValidTraceWithItsTrigger()
    {
        string json = Export([(Header("app", 4242, events: 0), [])]);
        Assert.Empty(TraceEventFormatRules.Violations(json));
        Assert.Contains("trigger: SIGSEGV (core dumped)", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"events":[]}""", "traceEvents")]
    [InlineData("""{"traceEvents":[{"name":"a","ph":"X","ts":1,"pid":1,"tid":1,"args":{}}]}""", "dur")]
    [InlineData("""{"traceEvents":[{"name":"a","ph":"X","ts":-1,"dur":1,"pid":1,"tid":1,"args":{}}]}""", "ts")]
    [InlineData("""{"traceEvents":[{"name":"a","ph":"X","ts":"1","dur":1,"pid":1,"tid":1,"args":{}}]}""", "ts")]
    [InlineData("""{"traceEvents":[{"name":"a","ph":"i","ts":1,"pid":1,"tid":1}]}""", "scope")]
    [InlineData("""{"traceEvents":[{"name":"a","ph":"X","ts":1,"dur":1,"tid":1,"args":{}}]}""", "pid")]
    [InlineData("""{"traceEvents":[{"name":"a","ph":"Q","ts":1,"pid":1,"tid":1}]}""", "ph")]
    [InlineData("""{"traceEvents":[{"name":"a","ph":"X","ts":1,"dur":1,"pid":1,"tid":1,"args":{}}]}""", "no process_name")]
    [InlineData("""{"traceEvents":[{"name":"process_name","ph":"M","ts":0,"pid":1,"tid":0,"args":{"name":"p"}},{"name":"thread_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{"name":"t"}},{"name":"a","ph":"X","ts":5,"dur":1,"pid":1,"tid":1,"args":{}},{"name":"b","ph":"X","ts":2,"dur":1,"pid":1,"tid":1,"args":{}}]}""", "goes back")]
    [InlineData("""{"traceEvents":[{"name":"process_name","ph":"M","ts":0,"pid":1,"tid":0,"args":{"name":"p"}},{"name":"thread_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{"name":"t"}},{"name":"a","ph":"X","ts":1,"dur":5,"pid":1,"tid":1,"args":{}},{"name":"b","ph":"X","ts":2,"dur":9,"pid":1,"tid":1,"args":{}}]}""", "overlaps")]
    [InlineData("""{"traceEvents":[{"name":"thread_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{}}]}""", "args.name")]
    public void TheRules_CatchBrokenTraces(string json, string expected) =>
        Assert.Contains(TraceEventFormatRules.Violations(json), v => v.Contains(expected, StringComparison.Ordinal));

    private static JsonElement[] Events(JsonDocument doc) => [.. doc.RootElement.GetProperty("traceEvents").EnumerateArray()];

    private static string Export(List<(DumpHeader, List<TraceEventDto>)> dumps)
    {
        var output = new MemoryStream();
        PerfettoTraceWriter.Write(output, dumps);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    /// <summary>A pod of two containers: app (pid 4242, threads 4242 and 4243) crashing, and sidecar (pid 5000).</summary>
    private static List<(DumpHeader, List<TraceEventDto>)> PodDump()
    {
        List<TraceEventDto> app =
        [
            Syscall("worker", 4243, "openat", T0Ns + 1234, 12_000, ret: -2, errno: "ENOENT",
                args: [new SyscallArg { Name = "dfd", Text = "AT_FDCWD" }, new SyscallArg { Name = "filename", Text = "\"/etc/passwd\"" }]),
            Syscall("nginx", 4242, "read", T0Ns + 10_000, null, ret: null, completion: SyscallCompletion.ExitLost),
            Syscall("nginx", 4242, "write", T0Ns + 23_000, 2_000, ret: 5),
            Syscall("nginx", 4242, "close", T0Ns + 30_000, null, ret: 0, completion: SyscallCompletion.EnterLost),
            Syscall("worker", 4243, "epoll_wait", T0Ns + 50_000, null, ret: null, completion: SyscallCompletion.Unfinished),
            new() { Kind = TraceEventKind.Signal, TimestampNs = T0Ns + 60_000, Pid = 4242, Tid = 4242, Comm = "nginx", Nr = 11, Name = "SIGSEGV", Text = "--- SIGSEGV {si_signo=SIGSEGV} ---" },
            Syscall("nginx", 4242, "exit_group", T0Ns + 61_000, null, ret: null, completion: SyscallCompletion.NoReturn),
            new() { Kind = TraceEventKind.ProcessExit, TimestampNs = T0Ns + 62_000, Pid = 4242, Tid = 4243, Comm = "worker", ExitStatus = 0, ProcessEnded = false, Text = "+++ thread exited with 0 +++" },
            new() { Kind = TraceEventKind.ProcessExit, TimestampNs = T0Ns + 63_000, Pid = 4242, Tid = 4242, Comm = "nginx", ExitStatus = 11 | 0x80, ProcessEnded = true, Text = "+++ killed by SIGSEGV (core dumped) +++" },
        ];
        List<TraceEventDto> sidecar =
        [
            Syscall("envoy", 5000, "epoll_wait", T0Ns + 5_000, 40_000, ret: 1, pid: 5000),
            Syscall("envoy", 5000, "accept4", T0Ns + 45_500, 500, ret: 7, pid: 5000),
            Syscall("envoy", 5001, "futex", T0Ns + 46_000, null, ret: null, completion: SyscallCompletion.Unfinished, pid: 5000),
        ];
        return [(Header("app", 4242, app.Count), app), (Header("sidecar", 5000, sidecar.Count), sidecar)];
    }

    private static DumpHeader Header(string container, int pid, int events) => new()
    {
        Container = new ContainerInfo { Id = "3f2a" + container, CgroupPath = "/x", Namespace = "shop", Pod = "web", Container = container, MainPid = pid },
        TakenAt = ApiSamples.T0.AddTicks(1000),
        WindowStart = ApiSamples.T0,
        WindowEnd = ApiSamples.T0.AddTicks(1000),
        Events = events,
        TraceloopVersion = "0.1.0",
        Trigger = container == "app" ? ApiSamples.FullTrigger() : null,
        DumpId = container == "app" ? "20260505T120000123Z-0123456789ab" : null,
    };

    private static TraceEventDto Syscall(string comm, int tid, string name, long ts, long? durationNs, long? ret,
        SyscallCompletion completion = SyscallCompletion.Complete, string? errno = null, SyscallArg[]? args = null, int pid = 4242) => new()
    {
        Kind = TraceEventKind.Syscall,
        TimestampNs = ts,
        Pid = pid,
        Tid = tid,
        Comm = comm,
        Name = name,
        Args = args,
        Ret = ret,
        Errno = errno,
        ErrnoMessage = errno is null ? null : "No such file or directory",
        DurationNs = durationNs,
        Completion = completion,
    };
}
