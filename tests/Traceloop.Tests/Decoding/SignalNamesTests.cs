using Traceloop.Recorder.Decoding;

namespace Traceloop.Tests.Decoding;

public sealed class SignalNamesTests
{
    [Theory]
    [InlineData(9, "SIGKILL")]
    [InlineData(11, "SIGSEGV")]
    [InlineData(31, "SIGSYS")]
    [InlineData(32, "32")]
    [InlineData(33, "33")]
    [InlineData(34, "SIGRTMIN")]
    [InlineData(35, "SIGRT_1")]
    [InlineData(64, "SIGRT_30")]
    [InlineData(65, "65")]
    [InlineData(-1, "-1")]
    public void NamesFollowStrace(int signal, string expected) => Assert.Equal(expected, SignalNames.Name(signal));
}
