using System.Text;
using Traceloop.Recorder.Decoding.Structs;

namespace Traceloop.Tests.Decoding.Structs;

/// <summary>Captures cut short and bytes that are no struct at all: never an exception, never a made-up field.</summary>
public sealed class TruncationAndGarbageTests
{
    public static TheoryData<string, string> AllSamples()
    {
        var data = new TheoryData<string, string>();
        foreach (StraceSample s in StraceSamples.All)
        {
            data.Add(s.Probe, s.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllSamples))]
    public void EveryPrefixOfASampleRendersOrDeclines(string probe, string name)
    {
        StraceSample full = Array.Find(StraceSamples.All, s => s.Probe == probe && s.Name == name)!;
        string? whole = SampleRenderer.Render(full);
        for (int length = 0; length < full.Hex.Length / 2; length++)
        {
            string? text = SampleRenderer.Render(full, length);
            if (text is null || text == whole)
            {
                continue;
            }
            // Cut short, a renderer ends what it could read with strace's "...", or shows the
            // pointer of what it could not (an iovec's buffer, a control message).
            Assert.True(text.Contains("...", StringComparison.Ordinal) || text.Contains("=0x", StringComparison.Ordinal),
                $"{length} bytes of {full}: {text}");
        }
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(27, null)]
    [InlineData(28, "{st_mode=S_IFREG|0644, ...}")]
    [InlineData(55, "{st_mode=S_IFREG|0644, ...}")]
    [InlineData(56, "{st_mode=S_IFREG|0644, st_size=1234, ...}")]
    public void StatCutShort(int length, string? expected)
    {
        byte[] stat = new byte[Stat.StatSize];
        BitConverter.TryWriteBytes(stat.AsSpan(24), 0x81a4u);
        BitConverter.TryWriteBytes(stat.AsSpan(48), 1234L);
        Assert.Equal(expected, Render(sb => Stat.TryAppendStat(sb, stat.AsSpan(0, length))));
    }

    [Theory]
    [InlineData(7, null)]
    [InlineData(8, "{tv_sec=1, ...}")]
    [InlineData(15, "{tv_sec=1, ...}")]
    [InlineData(16, "{tv_sec=1, tv_nsec=500000000}")]
    public void TimespecCutShort(int length, string? expected)
    {
        byte[] ts = new byte[16];
        BitConverter.TryWriteBytes(ts.AsSpan(0), 1L);
        BitConverter.TryWriteBytes(ts.AsSpan(8), 500000000L);
        Assert.Equal(expected, Render(sb => Time.TryAppendTimespec(sb, ts.AsSpan(0, length))));
    }

    [Fact]
    public void ItimerspecCutInItsSecondHalf()
    {
        byte[] its = new byte[32];
        BitConverter.TryWriteBytes(its.AsSpan(16), 3L);
        Assert.Equal("{it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=3, ...}}", Render(sb => Time.TryAppendItimerspec(sb, its.AsSpan(0, 24))));
        Assert.Equal("{it_interval={tv_sec=0, tv_nsec=0}, ...}", Render(sb => Time.TryAppendItimerspec(sb, its.AsSpan(0, 16))));
    }

    [Theory]
    [InlineData(1, 16, null)]
    [InlineData(2, 16, "{sa_family=AF_INET, ...}")]
    [InlineData(15, 16, "{sa_family=AF_INET, ...}")]
    [InlineData(16, 16, "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}")]
    [InlineData(16, 128, "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}")]
    [InlineData(8, 8, "{sa_family=AF_INET, sa_data=\"\\37\\220\\177\\0\\0\\1\"}")]
    public void SockAddrCutShort(int length, int addrlen, string? expected)
    {
        byte[] sin = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, Render(sb => SockAddr.TryAppend(sb, sin.AsSpan(0, length), addrlen)));
    }

    [Fact]
    public void UnixPathCutShortOfItsLength()
    {
        byte[] sun = [1, 0, (byte)'/', (byte)'t', (byte)'m', (byte)'p'];
        Assert.Equal("{sa_family=AF_UNIX, ...}", Render(sb => SockAddr.TryAppend(sb, sun, 110)));
        Assert.Equal("{sa_family=AF_UNIX, sun_path=\"/tmp\"}", Render(sb => SockAddr.TryAppend(sb, sun, 6)));
    }

    [Fact]
    public void PollArraysCutShort()
    {
        byte[] fds = [3, 0, 0, 0, 1, 0, 1, 0, 4, 0, 0, 0, 4, 0, 0, 0];
        Assert.Equal("[{fd=3, events=POLLIN}, ...]", Render(sb => Poll.TryAppendFds(sb, fds.AsSpan(0, 12), 2)));
        Assert.Equal(" ([{fd=3, revents=POLLIN}, ...])", Render(sb => Poll.TryAppendResult(sb, fds.AsSpan(0, 12), 2, 1)));
        Assert.Null(Render(sb => Poll.TryAppendFds(sb, fds.AsSpan(0, 7), 2)));
        Assert.Equal("[]", Render(sb => Poll.TryAppendFds(sb, [], 0)));
    }

    [Fact]
    public void IovecWhoseBufferWasNotCapturedShowsItsAddress()
    {
        var payload = new List<byte>();
        payload.AddRange(BitConverter.GetBytes(2u));
        payload.AddRange(BitConverter.GetBytes(0u));
        payload.AddRange(BitConverter.GetBytes(0x1000UL));
        payload.AddRange(BitConverter.GetBytes(2UL));
        payload.AddRange(BitConverter.GetBytes(0x2000UL));
        payload.AddRange(BitConverter.GetBytes(40UL));
        payload.AddRange(BitConverter.GetBytes(2u));
        payload.AddRange("hi"u8.ToArray());
        payload.AddRange(BitConverter.GetBytes(32u));
        payload.AddRange(new byte[10]);
        Assert.Equal("[{iov_base=\"hi\", iov_len=2}, {iov_base=0x2000, iov_len=40}]", Render(sb => IoVec.TryAppend(sb, payload.ToArray(), 2, -1)));
        Assert.Equal("[{iov_base=0x1000, iov_len=2}, ...]", Render(sb => IoVec.TryAppend(sb, payload.ToArray().AsSpan(0, 24), 2, -1)));
    }

    [Fact]
    public void MsghdrCutInItsControlMessages()
    {
        var payload = new List<byte>();
        byte[] hdr = new byte[MsgHdr.Size];
        BitConverter.TryWriteBytes(hdr.AsSpan(32), 0x5000UL);
        BitConverter.TryWriteBytes(hdr.AsSpan(40), 24UL);
        payload.AddRange(hdr);
        payload.AddRange(BitConverter.GetBytes(0u));
        payload.AddRange(BitConverter.GetBytes(0u));
        payload.AddRange(BitConverter.GetBytes(0u));
        payload.AddRange(BitConverter.GetBytes(20u));
        payload.AddRange(BitConverter.GetBytes(20UL));
        payload.AddRange(BitConverter.GetBytes(1));
        payload.AddRange(BitConverter.GetBytes(1));
        payload.AddRange(BitConverter.GetBytes(7));
        Assert.Equal(
            "{msg_name=NULL, msg_namelen=0, msg_iov=NULL, msg_iovlen=0, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[7]}, ...], msg_controllen=24, msg_flags=0}",
            Render(sb => MsgHdr.TryAppend(sb, payload.ToArray(), null, -1)));
    }

    public static TheoryData<string> Renderers() => [.. GarbageRenderers.Keys];

    [Theory]
    [MemberData(nameof(Renderers))]
    public void RandomBytesNeverThrow(string renderer)
    {
        var random = new Random(renderer.GetHashCode(StringComparison.Ordinal) ^ 20240601);
        Func<StringBuilder, byte[], Random, bool> render = GarbageRenderers[renderer];
        var sb = new StringBuilder();
        for (int i = 0; i < 3000; i++)
        {
            byte[] data = new byte[random.Next(0, i % 10 == 0 ? 1200 : 300)];
            random.NextBytes(data);
            sb.Clear();
            bool ok = render(sb, data, random);
            Assert.True(ok || sb.Length == 0, $"{renderer} declined after appending {sb}");
        }
    }

    private static readonly Dictionary<string, Func<StringBuilder, byte[], Random, bool>> GarbageRenderers = new()
    {
        ["stat"] = (sb, d, r) => Stat.TryAppendStat(sb, d),
        ["statx"] = (sb, d, r) => Stat.TryAppendStatx(sb, d),
        ["sockaddr"] = (sb, d, r) => SockAddr.TryAppend(sb, FamilyBiased(d, r), r.Next(-4, 200)),
        ["timespec"] = (sb, d, r) => Time.TryAppendTimespec(sb, d),
        ["itimerval"] = (sb, d, r) => Time.TryAppendItimerval(sb, d),
        ["intpair"] = (sb, d, r) => IntPair.TryAppend(sb, d),
        ["wait status"] = (sb, d, r) => WaitStatus.TryAppend(sb, d),
        ["rlimit"] = (sb, d, r) => Rlimit.TryAppend(sb, d),
        ["sigset"] = (sb, d, r) => Signals.TryAppendSigset(sb, d, (ulong)r.Next(0, 10)),
        ["sigaction"] = (sb, d, r) => Signals.TryAppendSigaction(sb, d),
        ["utsname"] = (sb, d, r) => Utsname.TryAppend(sb, d),
        ["sysinfo"] = (sb, d, r) => SysInfo.TryAppend(sb, d),
        ["pollfds"] = (sb, d, r) => Poll.TryAppendFds(sb, d, (ulong)r.NextInt64(0, long.MaxValue) >> r.Next(0, 64)),
        ["poll result"] = (sb, d, r) => Poll.TryAppendResult(sb, d, (ulong)r.NextInt64() >> r.Next(0, 64), r.Next(-2, 40), r.Next(2) == 0 ? d.AsSpan(0, Math.Min(d.Length, r.Next(0, 20))) : default),
        ["epoll event"] = (sb, d, r) => Epoll.TryAppendEvent(sb, d),
        ["epoll events"] = (sb, d, r) => Epoll.TryAppendEvents(sb, d, r.NextInt64(-5, long.MaxValue) >> r.Next(0, 64)),
        ["iovec"] = (sb, d, r) => IoVec.TryAppend(sb, SmallCounts(d, r), (ulong)r.NextInt64() >> r.Next(0, 64), r.NextInt64(-1, 1000)),
        ["msghdr"] = (sb, d, r) => MsgHdr.TryAppend(sb, SmallCounts(d, r), r.Next(3) == 0 ? null : r.Next(-5, 200), r.NextInt64(-1, 1000)),
        ["buffer"] = (sb, d, r) =>
        {
            IoVec.AppendBuffer(sb, d, (ulong)r.NextInt64() >> r.Next(0, 64));
            return true;
        },
        ["dirents"] = (sb, d, r) => Dirents.TryAppend(sb, d, (ulong)r.NextInt64()),
        ["termios"] = (sb, d, r) => Termios.TryAppend(sb, d),
        ["winsize"] = (sb, d, r) => Termios.TryAppendWinsize(sb, d),
        ["clone_args"] = (sb, d, r) => CloneArgs.TryAppend(sb, d, (ulong)r.Next(0, 5000)),
    };

    // Random bytes rarely make a known family; make the interesting ones common.
    private static byte[] FamilyBiased(byte[] data, Random random)
    {
        if (data.Length >= 2)
        {
            int[] families = [0, 1, 2, 10, 16, 17, 31, 40, 45, 46];
            data[0] = (byte)families[random.Next(families.Length)];
            data[1] = 0;
        }
        return data;
    }

    // An iovec or msghdr payload whose counts are small enough to reach its later parts.
    private static byte[] SmallCounts(byte[] data, Random random)
    {
        foreach (int offset in new[] { 0, 24, 60, 64 })
        {
            if (data.Length >= offset + 4 && random.Next(2) == 0)
            {
                BitConverter.TryWriteBytes(data.AsSpan(offset), (uint)random.Next(0, 40));
            }
        }
        return data;
    }

    private static string? Render(Func<StringBuilder, bool> render)
    {
        var sb = new StringBuilder();
        return render(sb) ? sb.ToString() : null;
    }
}
