using System.Text;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;

namespace Traceloop.Tests.Decoding;

public sealed class ArgumentTextTests
{
    [Theory]
    [InlineData("/etc/passwd", "\"/etc/passwd\"")]
    [InlineData("", "\"\"")]
    [InlineData("a\nb", "\"a\\nb\"")]
    [InlineData("a\tb", "\"a\\tb\"")]
    [InlineData("a\rb\vc\fd", "\"a\\rb\\vc\\fd\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("C:\\dir", "\"C:\\\\dir\"")]
    [InlineData(" ~'+", "\" ~'+\"")]
    public void PrintableTextAndTheUsualEscapes(string text, string expected)
    {
        Assert.Equal(expected, Quote(Encoding.UTF8.GetBytes(text)));
    }

    [Theory]
    [InlineData(new byte[] { 0x01 }, "\"\\1\"")]
    [InlineData(new byte[] { 0x00 }, "\"\\0\"")]
    [InlineData(new byte[] { 0x1b, (byte)'[' }, "\"\\33[\"")]
    [InlineData(new byte[] { 0x7f }, "\"\\177\"")]
    [InlineData(new byte[] { 0x80 }, "\"\\200\"")]
    [InlineData(new byte[] { 0xff }, "\"\\377\"")]
    [InlineData(new byte[] { 0xc3, 0xa9 }, "\"\\303\\251\"")] // é in UTF-8: strace prints bytes, not characters
    [InlineData(new byte[] { 0x1f, (byte)'x' }, "\"\\37x\"")]
    public void OtherBytesAreShortestOctal(byte[] data, string expected)
    {
        Assert.Equal(expected, Quote(data));
    }

    [Theory]
    [InlineData(new byte[] { 0x01, (byte)'2' }, "\"\\0012\"")]
    [InlineData(new byte[] { 0x00, (byte)'0' }, "\"\\0000\"")]
    [InlineData(new byte[] { 0x1b, (byte)'7' }, "\"\\0337\"")]
    [InlineData(new byte[] { 0x7f, (byte)'1' }, "\"\\1771\"")]
    [InlineData(new byte[] { 0x01, 0x02 }, "\"\\1\\2\"")]
    public void OctalIsPaddedToThreeDigitsWhenADigitFollows(byte[] data, string expected)
    {
        Assert.Equal(expected, Quote(data));
    }

    [Theory]
    [InlineData(new byte[] { 0x01, (byte)'8' }, "\"\\18\"")]
    [InlineData(new byte[] { 0x1b, (byte)'9' }, "\"\\339\"")]
    public void OctalIsNotPaddedBeforeEightAndNineAsStraceDoes(byte[] data, string expected)
    {
        // strace 6.1 on this machine: write(1, "\0339\0018\0017", 6) prints "\339\18\0017":
        // '8' and '9' cannot be read as octal digits, so no padding is needed before them.
        Assert.Equal(expected, Quote(data));
    }

    [Fact]
    public void ACutStringGetsTheTruncationMarkerAfterTheQuote()
    {
        var sb = new StringBuilder();

        ArgumentText.AppendQuoted(sb, "/usr/lib/x86"u8, truncated: true);

        Assert.Equal("\"/usr/lib/x86\"...", sb.ToString());
    }

    [Theory]
    [InlineData("Fd", unchecked((ulong)-100), "AT_FDCWD")]
    [InlineData("Fd", 3UL, "3")]
    [InlineData("Fd", 0xffff_ffffUL, "-1")]
    [InlineData("Fd", 0xdead_beef_0000_0004UL, "4")] // the upper half of an int register is not the fd's
    [InlineData("Int", 0xffff_ffffUL, "-1")]
    [InlineData("Int", 0x80000UL, "524288")]
    [InlineData("UInt", 0xffff_ffffUL, "4294967295")]
    [InlineData("Long", ulong.MaxValue, "-1")]
    [InlineData("ULong", ulong.MaxValue, "18446744073709551615")]
    [InlineData("Size", 4096UL, "4096")]
    [InlineData("Pointer", 0UL, "NULL")]
    [InlineData("Pointer", 0x7ffc_0000_1234UL, "0x7ffc00001234")]
    [InlineData("String", 0UL, "NULL")]
    [InlineData("String", 0x1000UL, "0x1000")]
    [InlineData("Unknown", 0UL, "0x0")]
    [InlineData("Unknown", 255UL, "0xff")]
    public void RawArgumentsByKind(string kind, ulong raw, string expected)
    {
        var sb = new StringBuilder();

        ArgumentText.Append(sb, Enum.Parse<ParamKind>(kind), raw, default, hasPayload: false);

        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void AStringPayloadWinsOverTheRawPointer()
    {
        var sb = new StringBuilder();
        var payload = new Payload(PayloadKind.String, 1, PayloadFlags.None, "/tmp/x"u8);

        ArgumentText.Append(sb, ParamKind.String, 0x1000, payload, hasPayload: true);

        Assert.Equal("\"/tmp/x\"", sb.ToString());
    }

    [Fact]
    public void AFaultedOrByteKindPayloadFallsBackToTheRawValue()
    {
        var faulted = new Payload(PayloadKind.String, 1, PayloadFlags.Fault, default);
        var bytes = new Payload(PayloadKind.Bytes, 1, PayloadFlags.None, "abc"u8);
        var sb = new StringBuilder();

        ArgumentText.Append(sb, ParamKind.String, 0xbad, faulted, hasPayload: true);
        sb.Append('|');
        ArgumentText.Append(sb, ParamKind.Pointer, 0x5000, bytes, hasPayload: true);

        Assert.Equal("0xbad|0x5000", sb.ToString());
    }

    private static string Quote(byte[] data)
    {
        var sb = new StringBuilder();
        ArgumentText.AppendQuoted(sb, data, truncated: false);
        return sb.ToString();
    }
}
