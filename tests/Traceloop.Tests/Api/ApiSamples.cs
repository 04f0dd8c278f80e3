using Traceloop.Api;

namespace Traceloop.Tests.Api;

/// <summary>DTOs with every field set (or deliberately null), and field-by-field comparisons.</summary>
internal static class ApiSamples
{
    public static readonly DateTimeOffset T0 = new DateTimeOffset(2024, 5, 6, 12, 3, 4, TimeSpan.Zero).AddTicks(1_234_567);

    public static ContainerInfo FullContainer() => new()
    {
        Id = "3f2a9c1b0d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
        PodUid = "8d1b2c3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e",
        CgroupId = 0xfedc_ba98_7654_3210,
        CgroupPath = "/kubepods/besteffort/pod8d1b2c3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/3f2a",
        Runtime = "containerd",
        MainPid = 4242,
        FirstSeen = T0,
        ExitedAt = T0.AddSeconds(90),
        BufferBytes = 1 << 20,
        BufferFill = 0.375,
        EventsHeld = 12_345,
        EventsLost = 67,
        ExitStatus = (11 | 0x80),
        Namespace = "shop",
        Pod = "checkout-7d9f",
        Container = "app",
        Labels = new Dictionary<string, string> { ["app"] = "checkout", ["tier"] = "web" },
        Image = "registry.example/checkout:1.2",
        RestartCount = 3,
        Node = "node-a",
        ContainerKind = "regular",
        RecordingSince = T0.AddSeconds(2),
        RecordingOrigin = RecordingOrigins.LateRing,
        EventsMissed = 17,
        CaptureLevel = CaptureLevelNames.NoPayloadNoArgv,
    };

    public static ContainerInfo SparseContainer() => new()
    {
        Id = "abc",
        CgroupPath = "/docker/abc",
        FirstSeen = T0,
    };

    public static DumpHeader FullHeader(int events) => new()
    {
        FormatVersion = DumpHeader.CurrentFormatVersion,
        Container = FullContainer(),
        TakenAt = T0.AddMinutes(5),
        WindowStart = T0.AddSeconds(1),
        WindowEnd = T0.AddSeconds(299),
        Events = events,
        EventsLost = 1_000_000_000_000,
        TraceloopVersion = "0.1.0+abcdef",
        Node = "node-1.example",
        Trigger = FullTrigger(),
        DumpId = "20260505T120000123Z-0123456789ab",
        CompleteFrom = T0.AddSeconds(42),
    };

    public static DumpTrigger FullTrigger() => new()
    {
        Kind = DumpTriggerKinds.Signal,
        ExitCode = 139,
        Signal = 11,
        SignalName = "SIGSEGV",
        CoreDumped = true,
        Syscall = "connect",
        Errno = "ECONNREFUSED",
        KubernetesReason = "Error",
        KubernetesExitCode = 139,
        Pid = 4242,
    };

    public static DumpHeader SparseHeader(int events) => new()
    {
        Container = SparseContainer(),
        TakenAt = T0,
        Events = events,
        TraceloopVersion = "0.1.0",
    };

    public static TraceEventDto OpenatEvent() => new()
    {
        Kind = TraceEventKind.Syscall,
        TimestampNs = 1_714_996_984_123_456_789,
        Pid = 4242,
        Tid = 4243,
        Comm = "cat",
        Nr = 257,
        Name = "openat",
        Args =
        [
            new SyscallArg { Name = "dfd", Raw = unchecked((ulong)-100), Text = "AT_FDCWD" },
            new SyscallArg { Name = "filename", Raw = 0x7ffd_1234_5678, Text = "\"/it's a+b\\n\"...", Payload = [0x2f, 0x69, 0x00, 0xff, 0x0a], Truncated = true },
            new SyscallArg { Name = "flags", Raw = 0x80000, Text = "524288", Payload = [] },
            new SyscallArg { Name = "mode", Raw = ulong.MaxValue, Text = "18446744073709551615" },
        ],
        Ret = -2,
        Errno = "ENOENT",
        ErrnoMessage = "No such file or directory",
        DurationNs = 12_000,
        Completion = SyscallCompletion.Complete,
        Text = "openat(AT_FDCWD, \"/it's a+b\\n\"..., 524288, 18446744073709551615) = -1 ENOENT (No such file or directory) <0.000012>",
        Seq = long.MaxValue - 7,
    };

    public static TraceEventDto ProcessExitEvent() => new()
    {
        Kind = TraceEventKind.ProcessExit,
        TimestampNs = -5,
        Pid = int.MaxValue,
        Tid = int.MinValue,
        Comm = "sh",
        Nr = -1,
        ExitStatus = 3 << 8,
        ProcessEnded = false,
        Text = "+++ thread exited with 3 +++",
    };

    public static TraceEventDto SparseEvent() => new()
    {
        Kind = TraceEventKind.Syscall,
        Nr = 0,
        Completion = SyscallCompletion.ExitLost,
    };

    public static TraceEventDto[] AllEvents() =>
    [
        OpenatEvent(),
        ProcessExitEvent(),
        SparseEvent(),
        new TraceEventDto { Kind = TraceEventKind.Syscall, Nr = 0, Args = [], Completion = SyscallCompletion.EnterLost, Ret = long.MinValue, DurationNs = long.MaxValue },
        new TraceEventDto { Kind = TraceEventKind.Syscall, Nr = 231, Completion = SyscallCompletion.NoReturn, ProcessEnded = true },
        new TraceEventDto { Kind = TraceEventKind.Syscall, Nr = 202, Completion = SyscallCompletion.Unfinished, Comm = "" },
        TcpEvent(),
        HttpEvent(),
        TlsEvent(),
    ];

    public static TraceEventDto TlsEvent() => new()
    {
        Kind = TraceEventKind.Tls,
        TimestampNs = 1_714_996_984_300_000_000,
        Pid = 4242,
        Tid = 4244,
        Comm = "client",
        Nr = -1,
        Name = "tls",
        Text = "--- tls write openssl fd=5 \"GET / HTTP/1.1\\r\\n\"... = 78 ---",
        Seq = 101,
        Tls = new TlsPlaintext { Direction = "write", Library = "openssl", Fd = 5, Result = 78, Data = "GET / HTTP/1.1\r\n"u8.ToArray(), Truncated = true },
    };

    public static TraceEventDto HttpEvent() => new()
    {
        Kind = TraceEventKind.Syscall,
        TimestampNs = 1_714_996_984_200_000_000,
        Pid = 4242,
        Tid = 4242,
        Comm = "server",
        Nr = 1,
        Name = "write",
        Ret = 17,
        DurationNs = 3_000,
        Text = "write(7, \"HTTP/1.1 200 OK\\r\\n\", 17) = 17",
        Seq = 100,
        Http = new HttpMessage
        {
            Type = HttpMessageNames.Response,
            Role = HttpMessageNames.Server,
            Method = "GET",
            Path = "/api/checkout/a-long-pa",
            PathTruncated = true,
            Status = 200,
            Reason = "OK",
            LatencyNs = 1_234_567,
            Fd = 7,
        },
    };

    public static TraceEventDto TcpEvent() => new()
    {
        Kind = TraceEventKind.Tcp,
        TimestampNs = 1_714_996_984_123_456_789,
        Pid = 4242,
        Tid = 4243,
        Comm = "client",
        Nr = -1,
        Name = "tcp",
        Text = "--- tcp [::1]:41234 > [::1]:1 SYN_SENT -> CLOSE ---",
        Seq = 99,
        Container = "shop/web/app",
        Tcp = new TcpStateChange
        {
            Socket = 0xffff_8881_0000_1234,
            OldState = "SYN_SENT",
            NewState = "CLOSE",
            LocalAddress = "::1",
            LocalPort = 41234,
            RemoteAddress = "::1",
            RemotePort = 1,
        },
    };

    public static void Equal(ContainerInfo? expected, ContainerInfo? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.PodUid, actual.PodUid);
        Assert.Equal(expected.CgroupId, actual.CgroupId);
        Assert.Equal(expected.CgroupPath, actual.CgroupPath);
        Assert.Equal(expected.Runtime, actual.Runtime);
        Assert.Equal(expected.MainPid, actual.MainPid);
        EqualTime(expected.FirstSeen, actual.FirstSeen);
        EqualTime(expected.ExitedAt, actual.ExitedAt);
        Assert.Equal(expected.BufferBytes, actual.BufferBytes);
        Assert.Equal(expected.BufferFill, actual.BufferFill);
        Assert.Equal(expected.EventsHeld, actual.EventsHeld);
        Assert.Equal(expected.EventsLost, actual.EventsLost);
        Assert.Equal(expected.ExitStatus, actual.ExitStatus);
        Assert.Equal(expected.Namespace, actual.Namespace);
        Assert.Equal(expected.Pod, actual.Pod);
        Assert.Equal(expected.Container, actual.Container);
        Assert.Equal(expected.Labels?.OrderBy(l => l.Key), actual.Labels?.OrderBy(l => l.Key));
        Assert.Equal(expected.Image, actual.Image);
        Assert.Equal(expected.RestartCount, actual.RestartCount);
        Assert.Equal(expected.Node, actual.Node);
        Assert.Equal(expected.ContainerKind, actual.ContainerKind);
        EqualTime(expected.RecordingSince, actual.RecordingSince);
        Assert.Equal(expected.RecordingOrigin, actual.RecordingOrigin);
        Assert.Equal(expected.EventsMissed, actual.EventsMissed);
        Assert.Equal(expected.CaptureLevel, actual.CaptureLevel);
    }

    public static void Equal(DumpHeader expected, DumpHeader actual)
    {
        Assert.Equal(expected.FormatVersion, actual.FormatVersion);
        Equal(expected.Container, actual.Container);
        EqualTime(expected.TakenAt, actual.TakenAt);
        EqualTime(expected.WindowStart, actual.WindowStart);
        EqualTime(expected.WindowEnd, actual.WindowEnd);
        Assert.Equal(expected.Events, actual.Events);
        Assert.Equal(expected.EventsLost, actual.EventsLost);
        Assert.Equal(expected.TraceloopVersion, actual.TraceloopVersion);
        Assert.Equal(expected.Node, actual.Node);
        Assert.Equal(expected.DumpId, actual.DumpId);
        EqualTime(expected.CompleteFrom, actual.CompleteFrom);
        if (expected.Trigger is null)
        {
            Assert.Null(actual.Trigger);
        }
        else
        {
            Equal(expected.Trigger, actual.Trigger!);
        }
    }

    public static void Equal(DumpTrigger expected, DumpTrigger actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.ExitCode, actual.ExitCode);
        Assert.Equal(expected.Signal, actual.Signal);
        Assert.Equal(expected.SignalName, actual.SignalName);
        Assert.Equal(expected.CoreDumped, actual.CoreDumped);
        Assert.Equal(expected.Syscall, actual.Syscall);
        Assert.Equal(expected.Errno, actual.Errno);
        Assert.Equal(expected.KubernetesReason, actual.KubernetesReason);
        Assert.Equal(expected.KubernetesExitCode, actual.KubernetesExitCode);
        Assert.Equal(expected.Pid, actual.Pid);
    }

    public static void Equal(TraceEventDto expected, TraceEventDto actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.TimestampNs, actual.TimestampNs);
        Assert.Equal(expected.Pid, actual.Pid);
        Assert.Equal(expected.Tid, actual.Tid);
        Assert.Equal(expected.Comm, actual.Comm);
        Assert.Equal(expected.Nr, actual.Nr);
        Assert.Equal(expected.Name, actual.Name);
        if (expected.Args is null)
        {
            Assert.Null(actual.Args);
        }
        else
        {
            Assert.NotNull(actual.Args);
            Assert.Equal(expected.Args.Length, actual.Args.Length);
            for (int i = 0; i < expected.Args.Length; i++)
            {
                SyscallArg e = expected.Args[i], a = actual.Args[i];
                Assert.Equal(e.Name, a.Name);
                Assert.Equal(e.Raw, a.Raw);
                Assert.Equal(e.Text, a.Text);
                Assert.Equal(e.Payload, a.Payload);
                Assert.Equal(e.Truncated, a.Truncated);
            }
        }
        Assert.Equal(expected.Ret, actual.Ret);
        Assert.Equal(expected.Errno, actual.Errno);
        Assert.Equal(expected.ErrnoMessage, actual.ErrnoMessage);
        Assert.Equal(expected.DurationNs, actual.DurationNs);
        Assert.Equal(expected.Completion, actual.Completion);
        Assert.Equal(expected.ExitStatus, actual.ExitStatus);
        Assert.Equal(expected.ProcessEnded, actual.ProcessEnded);
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.Seq, actual.Seq);
        Assert.Equal(expected.Container, actual.Container);
        Assert.Equal(expected.Http is null, actual.Http is null);
        if (expected.Http is { } h && actual.Http is { } k)
        {
            Assert.Equal((h.Type, h.Role, h.Method, h.Path, h.PathTruncated, h.Status, h.Reason, h.LatencyNs, h.Fd),
                (k.Type, k.Role, k.Method, k.Path, k.PathTruncated, k.Status, k.Reason, k.LatencyNs, k.Fd));
        }
        Assert.Equal(expected.Tls is null, actual.Tls is null);
        if (expected.Tls is { } x && actual.Tls is { } y)
        {
            Assert.Equal((x.Direction, x.Library, x.Fd, x.Result, x.Truncated), (y.Direction, y.Library, y.Fd, y.Result, y.Truncated));
            Assert.Equal(x.Data, y.Data);
        }
        Assert.Equal(expected.Tcp is null, actual.Tcp is null);
        if (expected.Tcp is { } t && actual.Tcp is { } u)
        {
            Assert.Equal((t.Socket, t.OldState, t.NewState, t.LocalAddress, t.LocalPort, t.RemoteAddress, t.RemotePort),
                (u.Socket, u.OldState, u.NewState, u.LocalAddress, u.LocalPort, u.RemoteAddress, u.RemotePort));
        }
    }

    private static void EqualTime(DateTimeOffset? expected, DateTimeOffset? actual)
    {
        Assert.Equal(expected?.UtcTicks, actual?.UtcTicks);
    }
}
