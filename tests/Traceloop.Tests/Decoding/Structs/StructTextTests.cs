using System.Text;
using Traceloop.Recorder.Decoding.Structs;

namespace Traceloop.Tests.Decoding.Structs;

/// <summary>The pieces every renderer shares, on cases the probes do not reach.</summary>
public sealed class StructTextTests
{
    [Theory]
    [InlineData(new byte[] { 0x1b, (byte)'9' }, "\"\\339\"")] // 9 is no octal digit: the short form stays unambiguous
    [InlineData(new byte[] { 0x1b, (byte)'7' }, "\"\\0337\"")]
    [InlineData(new byte[] { 0, (byte)'8' }, "\"\\08\"")]
    [InlineData(new byte[] { 0, (byte)'0' }, "\"\\0000\"")]
    [InlineData(new byte[] { 8, 7, 0x7f, 0xff }, "\"\\10\\7\\177\\377\"")]
    [InlineData(new byte[] { (byte)'"', (byte)'\\', 9, 10, 11, 12, 13 }, "\"\\\"\\\\\\t\\n\\v\\f\\r\"")]
    public void QuotesAsStraceDoes(byte[] data, string expected)
    {
        var sb = new StringBuilder();
        StructText.AppendQuoted(sb, data);
        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData("vm\0\0", "\"vm\"")]
    [InlineData("", "\"\"")]
    [InlineData("abcd", "\"abc\"...")] // four bytes, no NUL: three printed, and the fourth is no terminator
    [InlineData("abc\0", "\"abc\"")]
    [InlineData("ab\0d", "\"ab\"")]
    public void FixedSizeStrings(string field, string expected)
    {
        var sb = new StringBuilder();
        StructText.AppendFixedString(sb, Encoding.ASCII.GetBytes(field));
        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("1::", "1::")]
    [InlineData("1:0:0:0:0:0:0:0", "1::")]
    [InlineData("0:0:0:0:0:0:0:1", "::1")]
    [InlineData("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0")]
    [InlineData("::ffff:10.0.0.1", "::ffff:10.0.0.1")]
    [InlineData("64:ff9b::10.0.0.1", "64:ff9b::a00:1")]
    [InlineData("fe80::abcd:ef01", "fe80::abcd:ef01")]
    public void IPv6AsGlibcWritesIt(string address, string expected)
    {
        byte[] bytes = System.Net.IPAddress.Parse(address).GetAddressBytes();
        var sb = new StringBuilder();
        SockAddr.AppendIPv6(sb, bytes);
        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void ValueResultLengths()
    {
        var sb = new StringBuilder();
        SockAddr.AppendLength(sb, 128, 16);
        sb.Append(' ');
        SockAddr.AppendLength(sb, 16, 16);
        sb.Append(' ');
        MsgHdr.AppendFailedRecv(sb, 28);
        Assert.Equal("[128 => 16] [16] {msg_namelen=28}", sb.ToString());
    }

    [Theory]
    [InlineData(0UL, "[]")]
    [InlineData(1UL << 16, "[CHLD]")]
    [InlineData(~(3UL << 31), "~[RTMIN RT_1]")]
    [InlineData(ulong.MaxValue, "~[]")]
    public void SignalSets(ulong mask, string expected)
    {
        var sb = new StringBuilder();
        Signals.AppendSigset(sb, mask);
        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void SignalSetOfAnotherSizeIsLeftToThePointer()
    {
        var sb = new StringBuilder();
        Assert.False(Signals.TryAppendSigset(sb, new byte[16], 16));
        Assert.False(Signals.TryAppendSigset(sb, new byte[4], 8));
        Assert.Equal(0, sb.Length);
    }

    [Fact]
    public void CloneArgsBelowTheFirstVersionAreLeftToThePointer()
    {
        var sb = new StringBuilder();
        Assert.False(CloneArgs.TryAppend(sb, new byte[88], 63));
        Assert.False(CloneArgs.TryAppend(sb, new byte[63], 88));
        Assert.Equal(0, sb.Length);
        Assert.True(CloneArgs.TryAppend(sb, new byte[64], 88));
        Assert.Equal("{flags=0, exit_signal=0, stack=NULL, stack_size=0, ...}", sb.ToString());
    }

    [Fact]
    public void RecvmsgNameIsPrintedWithTheSmallerLength()
    {
        var payload = new List<byte>();
        byte[] hdr = new byte[MsgHdr.Size];
        BitConverter.TryWriteBytes(hdr.AsSpan(0), 0x7000UL);
        BitConverter.TryWriteBytes(hdr.AsSpan(8), 16);
        payload.AddRange(hdr);
        payload.AddRange(BitConverter.GetBytes(16u));
        payload.AddRange(new byte[] { 2, 0, 0, 53, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0 });
        payload.AddRange(new byte[8]);
        var sb = new StringBuilder();
        Assert.True(MsgHdr.TryAppend(sb, payload.ToArray(), 4, 0));
        Assert.Equal("{msg_name={sa_family=AF_INET, sa_data=\"\\0005\"}, msg_namelen=4 => 16, msg_iov=NULL, msg_iovlen=0, msg_controllen=0, msg_flags=0}", sb.ToString());
    }
}
