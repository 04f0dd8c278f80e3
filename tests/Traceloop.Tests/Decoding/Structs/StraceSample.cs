using System.Globalization;
using System.Text;
using Traceloop.Recorder.Decoding.Structs;

namespace Traceloop.Tests.Decoding.Structs;

/// <summary>
/// One case a probe in Probes/ ran under strace 6.1: the bytes it found in user memory and the
/// text strace printed for them (an argument, or with <see cref="Arg"/> -1 what follows the return value).
/// </summary>
/// <remarks>
/// Regenerate StraceSamples.g.cs with <c>cd tests/Traceloop.Tests/Decoding/Structs/Probes &amp;&amp; ./capture.py</c>
/// (as root: it compiles each probe with <c>gcc -O0 -static -w</c> and runs it as
/// <c>strace -o TRACE [OPTIONS] ./probe 3&gt;HEX</c>).
/// </remarks>
internal sealed record StraceSample(string Probe, string Name, string Syscall, int Arg, string Context, string Hex, string Expected)
{
    public byte[] Bytes => Convert.FromHexString(Hex);

    public long Get(string key)
    {
        foreach (string part in Context.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part.AsSpan(0, eq).SequenceEqual(key))
            {
                string value = part[(eq + 1)..];
                return value.StartsWith("0x", StringComparison.Ordinal)
                    ? long.Parse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                    : long.Parse(value, CultureInfo.InvariantCulture);
            }
        }
        throw new KeyNotFoundException($"{Name}: no {key} in \"{Context}\"");
    }

    public string? GetText(string key)
    {
        foreach (string part in Context.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith(key + "=", StringComparison.Ordinal))
            {
                return part[(key.Length + 1)..];
            }
        }
        return null;
    }

    public override string ToString() => $"{Probe}: {Name}";
}

/// <summary>Runs the renderer a sample is for, with the lengths and counts the call's registers held.</summary>
internal static class SampleRenderer
{
    /// <summary>
    /// The text, or null when the renderer declined (the caller prints the pointer). With
    /// <paramref name="length"/>, only that many bytes were captured; the registers (array counts) are the sample's.
    /// </summary>
    public static string? Render(StraceSample s, int? length = null)
    {
        var sb = new StringBuilder();
        byte[] full = s.Bytes;
        return Prepare(s)(sb, length is int n ? full[..n] : full) ? sb.ToString() : null;
    }

    /// <summary>The sample's renderer with its registers parsed once, so that calling it allocates nothing of its own.</summary>
    public static Func<StringBuilder, byte[], bool> Prepare(StraceSample s)
    {
        byte[] full = s.Bytes;
        return (s.Syscall, s.Arg) switch
        {
            ("stat" or "lstat" or "fstat", 1) or ("newfstatat", 2) => static (sb, d) => Stat.TryAppendStat(sb, d),
            ("statx", 4) => static (sb, d) => Stat.TryAppendStatx(sb, d),
            ("connect" or "bind", 1) or ("sendto", 4) => SockAddrOf((int)s.Get("len")),
            ("accept" or "accept4" or "getsockname" or "getpeername", 1) or ("recvfrom", 4) => SockAddrOf((int)Math.Min(s.Get("in"), s.Get("out"))),
            ("nanosleep", 0 or 1) or ("clock_nanosleep", 2) or ("clock_gettime" or "clock_getres", 1) => static (sb, d) => Time.TryAppendTimespec(sb, d),
            ("gettimeofday", 0) => static (sb, d) => Time.TryAppendTimeval(sb, d),
            ("setitimer", 1 or 2) or ("getitimer", 1) => static (sb, d) => Time.TryAppendItimerval(sb, d),
            ("timerfd_settime", 2 or 3) or ("timerfd_gettime", 1) => static (sb, d) => Time.TryAppendItimerspec(sb, d),
            ("pipe" or "pipe2", 0) or ("socketpair", 3) => static (sb, d) => IntPair.TryAppend(sb, d),
            ("wait4", 1) => static (sb, d) => WaitStatus.TryAppend(sb, d),
            ("getrlimit" or "setrlimit", 1) or ("prlimit64", 2 or 3) => static (sb, d) => Rlimit.TryAppend(sb, d),
            ("rt_sigprocmask", 1 or 2) or ("rt_sigpending" or "rt_sigsuspend" or "rt_sigtimedwait", 0) => static (sb, d) => Signals.TryAppendSigset(sb, d, 8),
            ("rt_sigaction", 1 or 2) => static (sb, d) => Signals.TryAppendSigaction(sb, d),
            ("uname", 0) => static (sb, d) => Utsname.TryAppend(sb, d),
            ("sysinfo", 0) => static (sb, d) => SysInfo.TryAppend(sb, d),
            ("poll", 0) => PollFds((ulong)(full.Length / Poll.PollfdSize)),
            ("poll" or "ppoll", -1) => PollResult((ulong)(full.Length / Poll.PollfdSize), s.Get("ret"), s.GetText("left") is { } left ? Convert.FromHexString(left) : []),
            ("epoll_ctl", 3) => static (sb, d) => Epoll.TryAppendEvent(sb, d),
            ("epoll_wait" or "epoll_pwait", 1) => EpollEvents(s.Get("ret")),
            ("write" or "read", 1) => Buffer((ulong)s.Get("len")),
            ("writev" or "pwritev", 1) => Iovecs(IovCount(full), -1),
            ("readv" or "preadv", 1) => Iovecs(IovCount(full), s.Get("ret")),
            ("sendmsg", 1) => static (sb, d) => MsgHdr.TryAppend(sb, d, null, -1),
            ("recvmsg", 1) => Msghdr((int)s.Get("namelen"), s.Get("ret")),
            ("getdents64", 1) => Dirents((ulong)s.Get("addr")),
            ("ioctl", 2) when s.Name.StartsWith("TIOC", StringComparison.Ordinal) => static (sb, d) => Termios.TryAppendWinsize(sb, d),
            ("ioctl", 2) => static (sb, d) => Termios.TryAppend(sb, d),
            ("clone3", 0) => Clone3((ulong)s.Get("size")),
            _ => throw new InvalidOperationException($"no renderer for {s}"),
        };
    }

    private static Func<StringBuilder, byte[], bool> SockAddrOf(int addrlen) => (sb, d) => SockAddr.TryAppend(sb, d, addrlen);

    private static Func<StringBuilder, byte[], bool> PollFds(ulong nfds) => (sb, d) => Poll.TryAppendFds(sb, d, nfds);

    private static Func<StringBuilder, byte[], bool> PollResult(ulong nfds, long ret, byte[] left) => (sb, d) => Poll.TryAppendResult(sb, d, nfds, ret, left);

    private static Func<StringBuilder, byte[], bool> EpollEvents(long count) => (sb, d) => Epoll.TryAppendEvents(sb, d, count);

    private static Func<StringBuilder, byte[], bool> Buffer(ulong length) => (sb, d) =>
    {
        IoVec.AppendBuffer(sb, d, length);
        return true;
    };

    private static Func<StringBuilder, byte[], bool> Iovecs(ulong vlen, long dataSize) => (sb, d) => IoVec.TryAppend(sb, d, vlen, dataSize);

    private static Func<StringBuilder, byte[], bool> Msghdr(int nameLength, long dataSize) => (sb, d) => MsgHdr.TryAppend(sb, d, nameLength, dataSize);

    private static Func<StringBuilder, byte[], bool> Dirents(ulong buffer) => (sb, d) => Recorder.Decoding.Structs.Dirents.TryAppend(sb, d, buffer);

    private static Func<StringBuilder, byte[], bool> Clone3(ulong size) => (sb, d) => CloneArgs.TryAppend(sb, d, size);

    // The iovec count the call was given: the probe captures all of them.
    private static ulong IovCount(byte[] data) => BitConverter.ToUInt32(data, 0);
}

/// <summary>The renderers of the samples as actions, for the allocation tests.</summary>
internal static class AllocationFreeRenderer
{
    public static Action<StringBuilder, byte[]> For(StraceSample s)
    {
        Func<StringBuilder, byte[], bool> render = SampleRenderer.Prepare(s);
        return (sb, d) => render(sb, d);
    }
}
