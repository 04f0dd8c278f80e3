using Traceloop.Recorder.Decoding;

namespace Traceloop.Tests.Decoding;

public sealed class SignalNamesTests
{
    [Theory]
    [InlineData(9, "SIGKILL")]
    [InlineData(11, "SIGSEGV")]
    [InlineData(31, "SIGSYS")]
    [InlineData(32, "SIGRTMIN")]
    [InlineData(33, "SIGRT_1")]
    [InlineData(34, "SIGRT_2")]
    [InlineData(64, "SIGRT_32")]
    [InlineData(65, "65")]
    [InlineData(-1, "-1")]
    public void NamesFollowStrace(int signal, string expected) => Assert.Equal(expected, SignalNames.Name(signal));
}
