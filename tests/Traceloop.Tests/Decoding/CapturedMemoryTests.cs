using System.Buffers.Binary;
using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Records;
using Traceloop.Tests.Records;

namespace Traceloop.Tests.Decoding;

/// <summary>
/// Lines whose arguments or return decoration come from user memory the kernel copied: the composite
/// iovec and msghdr payloads, captures chosen by another argument's value, getrandom's bytes, the
/// signal frame of rt_sigreturn, and what poll, ppoll and pselect6 append to their return value.
/// Expected text is strace 6.1's for the same values (run on this machine; see the commit).
/// </summary>
public sealed class CapturedMemoryTests
{
    private const ulong BootNs = 5_000_000_000;
    private const ulong Buf = 0x7ffd_0000_1000;

    private static int Nr(string name) => SyscallTable.TryGetNumber(name, out int nr) ? nr : throw new ArgumentException(name);

    [Fact]
    public void GetrandomPrintsEveryByteAsAHexEscape()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("getrandom"), BootNs, [Buf, 4, 1]);
        ring.Exit(1, 1, Nr("getrandom"), 4, BootNs + 1_000, payloads: [PayloadSpec.Bytes(0, [0xa9, 0x2d, 0x99, 0xa4])]);

        Assert.Equal(["getrandom(\"\\xa9\\x2d\\x99\\xa4\", 4, GRND_NONBLOCK) = 4"], RenderCalls(ring));
    }

    [Fact]
    public void GetrandomCutAtMaxBytesEndsWithDots()
    {
        byte[] bytes = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("getrandom"), BootNs, [Buf, 100, 0]);
        ring.Exit(1, 1, Nr("getrandom"), 100, BootNs + 1_000,
            payloads: [new PayloadSpec(PayloadKind.Bytes, 0, bytes, PayloadFlags.Truncated)]);

        string hex = string.Concat(bytes.Select(b => $"\\x{b:x2}"));
        Assert.Equal([$"getrandom(\"{hex}\"..., 100, 0) = 100"], RenderCalls(ring));
    }

    [Fact]
    public void GetrandomThatFailedShowsTheAddress()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("getrandom"), BootNs, [Buf, 4, 1]);
        ring.Exit(1, 1, Nr("getrandom"), -11, BootNs + 1_000);

        Assert.Equal(["getrandom(0x7ffd00001000, 4, GRND_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)"], RenderCalls(ring));
    }

    [Theory]
    [InlineData("runc:[2:INIT]", false, "\"runc:[2:INIT]\"")]
    [InlineData("abcdefghijklmno", false, "\"abcdefghijklmno\"")]      // 15 bytes: complete
    [InlineData("abcdefghijklmnop", true, "\"abcdefghijklmno\"...")]   // no NUL within 16: strace shows 15
    public void PrctlSetNameShowsTheNameAsStraceReadsIt(string name, bool cut, string expected)
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("prctl"), BootNs, [15, Buf],
            payloads: [PayloadSpec.String(1, name, cut ? PayloadFlags.Truncated : PayloadFlags.None)]);
        ring.Exit(1, 1, Nr("prctl"), 0, BootNs + 1_000);

        Assert.Equal([$"prctl(PR_SET_NAME, {expected}) = 0"], RenderCalls(ring));
    }

    [Fact]
    public void PrctlGetNameShowsTheNameTheKernelWrote()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("prctl"), BootNs, [16, Buf]);
        ring.Exit(1, 1, Nr("prctl"), 0, BootNs + 1_000, payloads: [PayloadSpec.String(1, "sh")]);

        Assert.Equal(["prctl(PR_GET_NAME, \"sh\") = 0"], RenderCalls(ring));
    }

    [Fact]
    public void IoctlRendersTheStructItsRequestSelects()
    {
        byte[] winsize = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(winsize, 24);
        BinaryPrimitives.WriteUInt16LittleEndian(winsize.AsSpan(2), 80);
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("ioctl"), BootNs, [3, 0x541b, Buf]);
        ring.Exit(1, 1, Nr("ioctl"), 0, BootNs + 1_000, payloads: [PayloadSpec.Bytes(2, [1, 0, 0, 0])]);
        ring.Enter(1, 1, Nr("ioctl"), BootNs + 2_000, [1, 0x5413, Buf]);
        ring.Exit(1, 1, Nr("ioctl"), 0, BootNs + 3_000, payloads: [PayloadSpec.Bytes(2, winsize)]);
        ring.Enter(1, 1, Nr("ioctl"), BootNs + 4_000, [10, 0x540f, Buf]);
        ring.Exit(1, 1, Nr("ioctl"), 0, BootNs + 5_000, payloads: [PayloadSpec.Bytes(2, [7, 0, 0, 0])]);

        Assert.Equal(
            [
                "ioctl(3, FIONREAD, [1]) = 0",
                "ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0",
                "ioctl(10, TIOCGPGRP, [7]) = 0",
            ],
            RenderCalls(ring));
    }

    [Fact]
    public void RtSigreturnShowsTheMaskOfItsFrame()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("rt_sigreturn"), BootNs, [0, 0], payloads: [PayloadSpec.Bytes(0, BitConverter.GetBytes(1UL << 9))]);
        ring.Exit(1, 1, Nr("rt_sigreturn"), 0, BootNs + 1_000);
        ring.Enter(1, 1, Nr("rt_sigreturn"), BootNs + 2_000, [0, 0], payloads: [PayloadSpec.Bytes(0, new byte[8])]);
        ring.Exit(1, 1, Nr("rt_sigreturn"), 0, BootNs + 3_000);

        Assert.Equal(["rt_sigreturn({mask=[USR1]}) = 0", "rt_sigreturn({mask=[]}) = 0"], RenderCalls(ring));
    }

    [Fact]
    public void PselectShowsItsSetsAndWhatWasReady()
    {
        byte[] read = [0b0000_1000], write = [0b0001_0000], readyRead = [0b0000_1000], readyWrite = [0b0001_0000];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("pselect6"), BootNs, [5, Buf, Buf + 0x100, 0, Buf + 0x200, 0],
            payloads: [PayloadSpec.Bytes(1, read), PayloadSpec.Bytes(2, write), PayloadSpec.Bytes(4, Timespec(1, 0))]);
        ring.Exit(1, 1, Nr("pselect6"), 2, BootNs + 1_000,
            payloads: [PayloadSpec.Bytes(1, readyRead), PayloadSpec.Bytes(2, readyWrite), PayloadSpec.Bytes(4, Timespec(0, 999997456))]);
        ring.Enter(1, 1, Nr("pselect6"), BootNs + 2_000, [5, Buf, 0, 0, Buf + 0x200, 0],
            payloads: [PayloadSpec.Bytes(1, [0b0001_1000]), PayloadSpec.Bytes(4, Timespec(0, 1000))]);
        ring.Exit(1, 1, Nr("pselect6"), 1, BootNs + 3_000,
            payloads: [PayloadSpec.Bytes(1, [0b0000_1000]), PayloadSpec.Bytes(4, Timespec(0, 169))]);
        ring.Enter(1, 1, Nr("pselect6"), BootNs + 4_000, [4, Buf, 0, 0, Buf + 0x200, 0],
            payloads: [PayloadSpec.Bytes(1, [0b0000_1000]), PayloadSpec.Bytes(4, Timespec(0, 1000000))]);
        ring.Exit(1, 1, Nr("pselect6"), 0, BootNs + 5_000,
            payloads: [PayloadSpec.Bytes(1, [0]), PayloadSpec.Bytes(4, Timespec(0, 0))]);

        Assert.Equal(
            [
                "pselect6(5, [3], [4], NULL, {tv_sec=1, tv_nsec=0}, NULL) = 2 (in [3], out [4], left {tv_sec=0, tv_nsec=999997456})",
                "pselect6(5, [3 4], NULL, NULL, {tv_sec=0, tv_nsec=1000}, NULL) = 1 (in [3], left {tv_sec=0, tv_nsec=169})",
                "pselect6(4, [3], NULL, NULL, {tv_sec=0, tv_nsec=1000000}, NULL) = 0 (Timeout)",
            ],
            RenderCalls(ring));
    }

    [Fact]
    public void PpollShowsTheTimeoutPassedAndAfterTheReturnTheReadyFdsAndTheTimeLeft()
    {
        byte[] fds = [.. Pollfd(3, 1, 0), .. Pollfd(4, 4, 0)];
        byte[] ready = [.. Pollfd(3, 1, 1), .. Pollfd(4, 4, 4)];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("ppoll"), BootNs, [Buf, 2, Buf + 0x100, 0, 8],
            payloads: [PayloadSpec.Bytes(0, fds), PayloadSpec.Bytes(2, Timespec(5, 0))]);
        ring.Exit(1, 1, Nr("ppoll"), 2, BootNs + 1_000,
            payloads: [PayloadSpec.Bytes(0, ready), PayloadSpec.Bytes(2, Timespec(4, 999998979))]);
        ring.Enter(1, 1, Nr("poll"), BootNs + 2_000, [Buf, 2, 0], payloads: [PayloadSpec.Bytes(0, fds)]);
        ring.Exit(1, 1, Nr("poll"), 1, BootNs + 3_000, payloads: [PayloadSpec.Bytes(0, [.. Pollfd(3, 1, 0), .. Pollfd(4, 4, 4)])]);
        ring.Enter(1, 1, Nr("ppoll"), BootNs + 4_000, [Buf, 1, Buf + 0x100, 0, 8],
            payloads: [PayloadSpec.Bytes(0, Pollfd(3, 1, 0)), PayloadSpec.Bytes(2, Timespec(0, 0))]);
        ring.Exit(1, 1, Nr("ppoll"), 0, BootNs + 5_000,
            payloads: [PayloadSpec.Bytes(0, Pollfd(3, 1, 0)), PayloadSpec.Bytes(2, Timespec(0, 0))]);

        Assert.Equal(
            [
                "ppoll([{fd=3, events=POLLIN}, {fd=4, events=POLLOUT}], 2, {tv_sec=5, tv_nsec=0}, NULL, 8) = 2 ([{fd=3, revents=POLLIN}, {fd=4, revents=POLLOUT}], left {tv_sec=4, tv_nsec=999998979})",
                "poll([{fd=3, events=POLLIN}, {fd=4, events=POLLOUT}], 2, 0) = 1 ([{fd=4, revents=POLLOUT}])",
                "ppoll([{fd=3, events=POLLIN}], 1, {tv_sec=0, tv_nsec=0}, NULL, 8) = 0 (Timeout)",
            ],
            RenderCalls(ring));
    }

    [Fact]
    public void WritevAndReadvShowTheirBuffersReadvOnlyWhatWasRead()
    {
        byte[] written = IoVecPayload([(Buf, 5, "hello"), (Buf + 0x10, 7, " world\n")]);
        // readv of 6 bytes into two 5-byte buffers: the kernel copied 5 and 1.
        byte[] read = IoVecPayload([(Buf, 5, "abcde"), (Buf + 0x10, 5, "f")]);
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("writev"), BootNs, [1, Buf + 0x100, 2], payloads: [PayloadSpec.Bytes(1, written)]);
        ring.Exit(1, 1, Nr("writev"), 12, BootNs + 1_000);
        ring.Enter(1, 1, Nr("readv"), BootNs + 2_000, [3, Buf + 0x100, 2]);
        ring.Exit(1, 1, Nr("readv"), 6, BootNs + 3_000, payloads: [PayloadSpec.Bytes(1, read)]);

        Assert.Equal(
            [
                "writev(1, [{iov_base=\"hello\", iov_len=5}, {iov_base=\" world\\n\", iov_len=7}], 2) = 12",
                "readv(3, [{iov_base=\"abcde\", iov_len=5}, {iov_base=\"f\", iov_len=5}], 2) = 6",
            ],
            RenderCalls(ring));
    }

    [Fact]
    public void AnIovecArrayTheKernelCouldNotReadShowsItsAddress()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("writev"), BootNs, [1, Buf + 0x100, 2], payloads: [PayloadSpec.Bytes(1, IoVecPayload([]))]);
        ring.Exit(1, 1, Nr("writev"), -14, BootNs + 1_000);

        Assert.Equal(["writev(1, 0x7ffd00001100, 2) = -1 EFAULT (Bad address)"], RenderCalls(ring));
    }

    [Fact]
    public void SendmsgShowsItsIovecsAndAFailedRecvmsgOnlyTheNameLength()
    {
        byte[] hdr = new byte[56];
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(16), Buf + 0x200); // msg_iov
        BinaryPrimitives.WriteUInt64LittleEndian(hdr.AsSpan(24), 1);          // msg_iovlen
        byte[] sendmsg = [.. hdr, .. new byte[4], .. IoVecPayload([(Buf, 2, "hi")]), .. new byte[4]];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("sendmsg"), BootNs, [3, Buf + 0x100, 0], payloads: [PayloadSpec.Bytes(1, sendmsg)]);
        ring.Exit(1, 1, Nr("sendmsg"), 2, BootNs + 1_000);
        ring.Enter(1, 1, Nr("recvmsg"), BootNs + 2_000, [3, Buf + 0x100, 0], payloads: [PayloadSpec.Bytes(1, BitConverter.GetBytes(16))]);
        ring.Exit(1, 1, Nr("recvmsg"), -11, BootNs + 3_000);

        Assert.Equal(
            [
                "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"hi\", iov_len=2}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 2",
                "recvmsg(3, {msg_namelen=16}, 0) = -1 EAGAIN (Resource temporarily unavailable)",
            ],
            RenderCalls(ring));
    }

    [Fact]
    public void SocketOptionsOfAnIntsSizeShowTheirValue()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("setsockopt"), BootNs, [3, 1, 2, Buf, 4], payloads: [PayloadSpec.Bytes(3, [1, 0, 0, 0])]);
        ring.Exit(1, 1, Nr("setsockopt"), 0, BootNs + 1_000);
        ring.Enter(1, 1, Nr("getsockopt"), BootNs + 2_000, [4, 1, 4, Buf, Buf + 8], payloads: [PayloadSpec.Bytes(4, [4, 0, 0, 0])]);
        ring.Exit(1, 1, Nr("getsockopt"), 0, BootNs + 3_000, payloads: [PayloadSpec.Bytes(3, [0, 0, 0, 0]), PayloadSpec.Bytes(4, [4, 0, 0, 0])]);
        ring.Enter(1, 1, Nr("setsockopt"), BootNs + 4_000, [3, 1, 13, Buf, 8], payloads: [PayloadSpec.Bytes(3, [1, 0, 0, 0, 5, 0, 0, 0])]);
        ring.Exit(1, 1, Nr("setsockopt"), 0, BootNs + 5_000);

        Assert.Equal(
            [
                "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
                "getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0",
                "setsockopt(3, SOL_SOCKET, SO_LINGER, 0x7ffd00001000, 8) = 0",
            ],
            RenderCalls(ring));
    }

    [Fact]
    public void ClockNanosleepNamesItsClock()
    {
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("clock_nanosleep"), BootNs, [0, 0, Buf, 0], payloads: [PayloadSpec.Bytes(2, Timespec(0, 1000))]);
        ring.Exit(1, 1, Nr("clock_nanosleep"), 0, BootNs + 1_000);
        ring.Enter(1, 1, Nr("clock_nanosleep"), BootNs + 2_000, [1, 1, Buf, 0], payloads: [PayloadSpec.Bytes(2, Timespec(5, 0))]);
        ring.Exit(1, 1, Nr("clock_nanosleep"), 0, BootNs + 3_000);

        Assert.Equal(
            [
                "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0",
                "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=5, tv_nsec=0}, NULL) = 0",
            ],
            RenderCalls(ring));
    }

    [Fact]
    public void SigaltstackShowsTheStacks()
    {
        byte[] stack = [.. BitConverter.GetBytes(0x7ffe48023560UL), .. BitConverter.GetBytes(0UL), .. BitConverter.GetBytes(13504UL)];
        byte[] disabled = [.. BitConverter.GetBytes(0UL), .. BitConverter.GetBytes(2UL), .. BitConverter.GetBytes(0UL)];
        var ring = new RingBuilder(64 * 1024);
        ring.Enter(1, 1, Nr("sigaltstack"), BootNs, [Buf, 0], payloads: [PayloadSpec.Bytes(0, stack)]);
        ring.Exit(1, 1, Nr("sigaltstack"), 0, BootNs + 1_000);
        ring.Enter(1, 1, Nr("sigaltstack"), BootNs + 2_000, [0, Buf]);
        ring.Exit(1, 1, Nr("sigaltstack"), 0, BootNs + 3_000, payloads: [PayloadSpec.Bytes(1, disabled)]);

        Assert.Equal(
            [
                "sigaltstack({ss_sp=0x7ffe48023560, ss_flags=0, ss_size=13504}, NULL) = 0",
                "sigaltstack(NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0",
            ],
            RenderCalls(ring));
    }

    /// <summary>The TL_CAP_IOVEC layout of bpf/traceloop.h.</summary>
    internal static byte[] IoVecPayload((ulong Base, ulong Length, string Data)[] iovecs)
    {
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((uint)iovecs.Length));
        bytes.AddRange(new byte[4]);
        foreach ((ulong b, ulong length, _) in iovecs)
        {
            bytes.AddRange(BitConverter.GetBytes(b));
            bytes.AddRange(BitConverter.GetBytes(length));
        }
        foreach ((_, _, string data) in iovecs)
        {
            bytes.AddRange(BitConverter.GetBytes((uint)data.Length));
            bytes.AddRange(Encoding.ASCII.GetBytes(data));
        }
        return [.. bytes];
    }

    private static byte[] Timespec(long sec, long nsec) => [.. BitConverter.GetBytes(sec), .. BitConverter.GetBytes(nsec)];

    private static byte[] Pollfd(int fd, short events, short revents) =>
        [.. BitConverter.GetBytes(fd), .. BitConverter.GetBytes(events), .. BitConverter.GetBytes(revents)];

    private static string[] RenderCalls(RingBuilder ring)
    {
        using RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        return events.Select(e =>
        {
            var sb = new StringBuilder();
            StraceText.AppendCall(sb, snapshot.Buffer, e);
            // The duration is StraceTextTests' business: compare the call as strace prints it without -T.
            string line = sb.ToString();
            return line[..line.LastIndexOf(" <", StringComparison.Ordinal)];
        }).ToArray();
    }
}
