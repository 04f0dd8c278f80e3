using System.Text;
using Kubectl.Traceloop.Exec;

namespace Traceloop.Tests.Kubectl;

public sealed class ExecOutputTests
{
    private const string Success = """{"metadata":{},"status":"Success"}""";

    [Fact]
    public void MessagesAreSortedByTheirChannelByte_AndReadinessAndCloseMessagesAreIgnored()
    {
        var output = new ExecOutput();
        output.Accept([1]);
        output.Accept([2]);
        output.Accept(Frame(1, "hello "));
        output.Accept(Frame(2, "warn"));
        output.Accept([255, 0]);
        output.Accept(Frame(1, "world"));
        output.Accept(Frame(3, Success));

        ExecResult result = output.ToResult();

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hello world", Encoding.UTF8.GetString(result.Stdout));
        Assert.Equal("warn", result.Stderr);
    }

    [Fact]
    public void StdoutIsKeptByteForByte()
    {
        var output = new ExecOutput();
        byte[] binary = [0x93, 0x00, 0xff, 0x0a, 0xc0];
        output.Accept([1, .. binary]);
        output.Accept(Frame(3, Success));
        Assert.Equal(binary, output.ToResult().Stdout);
    }

    [Fact]
    public void TheStatusMaySpanSeveralMessages()
    {
        var output = new ExecOutput();
        output.Accept(Frame(3, Success[..10]));
        output.Accept(Frame(3, Success[10..]));
        Assert.Equal(0, output.ToResult().ExitCode);
    }

    [Fact]
    public void AStreamWithoutAStatus_IsAnError()
    {
        var output = new ExecOutput();
        output.Accept(Frame(1, "partial"));
        var e = Assert.Throws<ExecException>(output.ToResult);
        Assert.Contains("without the command's exit status", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownChannel_IsAProtocolError()
    {
        var e = Assert.Throws<ExecException>(() => new ExecOutput().Accept(Frame(7, "x")));
        Assert.Contains("unknown channel 7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonZeroExitCode_CarriesTheCodeInDetailsCauses()
    {
        const string status = """
            {"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3",
             "reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}
            """;
        Assert.Equal(3, ExecStatus.ExitCode(Encoding.UTF8.GetBytes(status)));
    }

    [Fact]
    public void SuccessIsExitCodeZero()
    {
        Assert.Equal(0, ExecStatus.ExitCode(Encoding.UTF8.GetBytes(Success)));
    }

    [Fact]
    public void AFailureOtherThanNonZeroExitCode_MeansTheCommandNeverRan_AndKeepsTheServersMessage()
    {
        const string status = """{"metadata":{},"status":"Failure","message":"failed to exec in container: exec: \"traceloop\": executable file not found in $PATH"}""";
        var e = Assert.Throws<ExecException>(() => ExecStatus.ExitCode(Encoding.UTF8.GetBytes(status)));
        Assert.Equal("failed to exec in container: exec: \"traceloop\": executable file not found in $PATH", e.Message);
        Assert.Null(e.Status);
    }

    [Theory]
    [InlineData("""{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"Other","message":"3"}]}}""", "names no exit code")]
    [InlineData("""{"status":"Failure","reason":"NonZeroExitCode"}""", "the command failed without a message")]
    [InlineData("""{"status":"Pending"}""", "neither Success nor Failure")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"status":""", "not JSON")]
    public void AMalformedStatus_IsAClearError(string status, string expected)
    {
        var e = Assert.Throws<ExecException>(() => ExecStatus.ExitCode(Encoding.UTF8.GetBytes(status)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheExecUrl_HasOneCommandParameterPerArgument_Escaped_UnderTheServersPath()
    {
        Uri uri = PodExec.ExecUri(new Uri("https://example.test:6443/prefix/"), "traceloop", "agent-x", "recorder",
            ["traceloop", "api", "GET", "/containers?namespace=a b&pod=c"]);
        Assert.Equal("https", uri.Scheme);
        Assert.Equal("/prefix/api/v1/namespaces/traceloop/pods/agent-x/exec", uri.AbsolutePath);
        Assert.Equal("?command=traceloop&command=api&command=GET&command=%2Fcontainers%3Fnamespace%3Da%20b%26pod%3Dc&container=recorder&stdout=true&stderr=true",
            uri.Query);
    }

    [Theory]
    [InlineData("""{"kind":"Status","message":"pods \"x\" is forbidden"}""", "pods \"x\" is forbidden")]
    [InlineData("Upgrade request required\nmore", "Upgrade request required")]
    [InlineData("", null)]
    public void ARefusalsMessage_IsTheStatusMessage_OrTheBodysFirstLine(string body, string? expected)
    {
        Assert.Equal(expected, PodExec.StatusMessage(body));
    }

    private static byte[] Frame(byte channel, string text) => [channel, .. Encoding.UTF8.GetBytes(text)];
}
