using System.Text;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Decoding.Structs;

namespace Traceloop.Tests.Decoding.Structs;

/// <summary>The capture table the kernel side is built from, and the one entry point that renders what it captured.</summary>
public sealed class StructCapturesTests
{
    [Fact]
    public void EveryCaptureNamesARealSyscallArgument()
    {
        foreach (StructCapture c in StructCaptures.All)
        {
            Assert.True(SyscallTable.TryGetNumber(c.Syscall, out int nr), c.Syscall);
            SyscallInfo info = SyscallTable.Get(nr)!;
            // A capture from the stack (rt_sigreturn's frame) is filed under argument 0 of a call that has none.
            Assert.True(c.OnStack ? c.Arg == 0 : c.Arg >= 0 && c.Arg < info.Params.Length, $"{c.Syscall} has no argument {c.Arg}");
            if (c.SizeArg >= 0)
            {
                Assert.True(c.SizeArg < info.Params.Length, $"{c.Syscall} has no argument {c.SizeArg}");
            }
            if (c.SelectorArg >= 0)
            {
                Assert.True(c.SelectorArg < info.Params.Length, $"{c.Syscall} has no argument {c.SelectorArg}");
            }
            switch (c.Source)
            {
                case SizeSource.Fixed:
                    Assert.True(c.Size > 0, $"{c}");
                    break;
                case SizeSource.Argument or SizeSource.ArgumentPointee:
                    Assert.True(c.SizeArg >= 0 && c.Cap > 0, $"{c}");
                    break;
                case SizeSource.ReturnValue or SizeSource.Composite:
                    Assert.True(c.Cap > 0 || c.Size > 0, $"{c}");
                    break;
            }
            Assert.True(c.Cap <= 4096, $"{c}: more than a record can hold");
        }
    }

    [Fact]
    public void NoCaptureIsListedTwice()
    {
        var seen = new HashSet<(string, int, bool, int, ulong, int, StructKind)>();
        foreach (StructCapture c in StructCaptures.All)
        {
            Assert.True(seen.Add((c.Syscall, c.Arg, c.AtExit, c.SelectorArg, c.SelectorValue, c.Offset, c.Kind)), $"{c}");
        }
    }

    [Fact]
    public void TheTableCoversTheBrief()
    {
        string[] syscalls =
        [
            "stat", "lstat", "fstat", "newfstatat", "statx", "connect", "bind", "sendto", "accept", "accept4", "getsockname",
            "getpeername", "recvfrom", "nanosleep", "clock_nanosleep", "clock_gettime", "gettimeofday", "pipe", "pipe2",
            "socketpair", "wait4", "prlimit64", "getrlimit", "setrlimit", "rt_sigprocmask", "rt_sigsuspend", "rt_sigpending",
            "rt_sigaction", "uname", "poll", "ppoll", "epoll_ctl", "epoll_wait", "epoll_pwait", "readv", "writev", "preadv",
            "pwritev", "sendmsg", "recvmsg", "getdents64", "ioctl", "sysinfo", "clone3", "read", "write",
        ];
        foreach (string name in syscalls)
        {
            Assert.False(StructCaptures.For(name).IsEmpty, name);
        }
        Assert.True(StructCaptures.For("getpid").IsEmpty);
    }

    /// <summary>A fixed capture holds everything its renderer prints: more bytes change nothing.</summary>
    [Fact]
    public void FixedSizesAreEnoughForTheRenderer()
    {
        var random = new Random(7);
        ulong[] args = [0, 0, 0, 8, 8, 0];
        foreach (StructCapture c in StructCaptures.All)
        {
            if (c.Source != SizeSource.Fixed || c.Kind == StructKind.SockLen)
            {
                continue;
            }
            for (int i = 0; i < 50; i++)
            {
                byte[] whole = new byte[c.Size + 512];
                random.NextBytes(whole);
                var exact = new StringBuilder();
                var more = new StringBuilder();
                bool a = StructDecoders.TryAppend(exact, c, whole.AsSpan(0, c.Size), args, 1);
                bool b = StructDecoders.TryAppend(more, c, whole, args, 1);
                Assert.Equal(b, a);
                Assert.Equal(more.ToString(), exact.ToString());
            }
        }
    }

    [Fact]
    public void OneEntryPointForEveryKind()
    {
        StructCapture connect = StructCaptures.For("connect")[0];
        byte[] sin = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal("{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}", Render(connect, sin, [3, 0x1000, 16, 0, 0, 0], -1));

        StructCapture[] accept = StructCaptures.For("accept").ToArray();
        StructCapture address = Array.Find(accept, c => c.Kind == StructKind.SockAddr)!;
        StructCapture length = Array.Find(accept, c => c.Kind == StructKind.SockLen && c.AtExit)!;
        Assert.Equal("{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}", Render(address, sin, [3, 0x1000, 0x2000, 0, 0, 0], 4, 128, 16));
        Assert.Equal("{sa_family=AF_INET, sa_data=\"\\37\\220\"}", Render(address, sin, [3, 0x1000, 0x2000, 0, 0, 0], 4, 4, 16));
        Assert.Equal("[128 => 16]", Render(length, [], [3, 0x1000, 0x2000, 0, 0, 0], 4, 128, 16));
        Assert.Equal("[16]", Render(length, [], [3, 0x1000, 0x2000, 0, 0, 0], 4, 16, 16));

        StructCapture mask = StructCaptures.For("rt_sigprocmask")[0];
        byte[] chld = [0, 0, 1, 0, 0, 0, 0, 0];
        Assert.Equal("[CHLD]", Render(mask, chld, [0, 0x1000, 0, 8, 0, 0], 0));
        Assert.Null(Render(mask, chld, [0, 0x1000, 0, 16, 0, 0], 0));

        StructCapture read = Array.Find(StructCaptures.For("read").ToArray(), c => c.Kind == StructKind.Buffer)!;
        Assert.Equal("\"hello\"...", Render(read, "hello"u8.ToArray(), [3, 0x1000, 4096, 0, 0, 0], 100));
        Assert.Equal("\"hel\"", Render(read, "hello"u8.ToArray(), [3, 0x1000, 4096, 0, 0, 0], 3));

        StructCapture write = Array.Find(StructCaptures.For("write").ToArray(), c => c.Kind == StructKind.Buffer)!;
        Assert.Equal("\"hello\"", Render(write, "hello"u8.ToArray(), [1, 0x1000, 5, 0, 0, 0], 5));

        StructCapture dirents = StructCaptures.For("getdents64")[0];
        Assert.Equal("0x55d5c1b2c2a0 /* 5 entries */", Render(dirents, [5, 0, 0, 0], [3, 0x55d5c1b2c2a0, 32768, 0, 0, 0], 144));

        StructCapture events = StructCaptures.For("epoll_wait")[0];
        Assert.Equal("[]", Render(events, [], [4, 0x1000, 8, 0, 0, 0], 0));

        StructCapture clone = Array.Find(StructCaptures.For("clone3").ToArray(), c => c.Kind == StructKind.CloneResult)!;
        Assert.Equal(" => {pidfd=[3], parent_tid=[4242]}", Render(clone, [3, 0, 0, 0, 0x92, 0x10, 0, 0], [0x1000, 88, 0, 0, 0, 0], 4242));
        Assert.Equal(" => {parent_tid=[4242]}", Render(clone, [0xff, 0xff, 0xff, 0xff, 0x92, 0x10, 0, 0], [0x1000, 88, 0, 0, 0, 0], 4242));

        StructCapture termios = Array.Find(StructCaptures.For("ioctl").ToArray(), c => c.SelectorValue == 0x5401)!;
        Assert.Equal(StructKind.Termios, termios.Kind);
        Assert.Equal(16, termios.Size);
    }

    private static string? Render(StructCapture capture, byte[] data, ulong[] args, long ret, int before = -1, int after = -1)
    {
        var sb = new StringBuilder();
        return StructDecoders.TryAppend(sb, capture, data, args, ret, before, after) ? sb.ToString() : null;
    }
}
