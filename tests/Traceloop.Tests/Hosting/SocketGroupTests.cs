using Traceloop.Recorder.Hosting;

namespace Traceloop.Tests.Hosting;

/// <summary>
/// The socket's group: a numeric gid is taken as it is (inside a container, the only way to name a
/// host group), a name is looked up in the group file the recorder sees.
/// </summary>
public sealed class SocketGroupTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public SocketGroupTests() => File.WriteAllText(_file, "root:x:0:\ntraceloop:x:987:alice,bob\nbroken:x:notanumber:\n");

    [Theory]
    [InlineData("987", 987)]
    [InlineData("0", 0)]
    [InlineData("traceloop", 987)]
    [InlineData("root", 0)]
    public void KnownGroupsResolve(string group, int gid) => Assert.Equal(gid, UnixSocketEndpoint.GroupId(group, _file));

    [Theory]
    [InlineData("nobody-here")]
    [InlineData("broken")]
    [InlineData("-5")]
    [InlineData("traceloop ")]
    public void OthersDoNot(string group) => Assert.Null(UnixSocketEndpoint.GroupId(group, _file));

    [Fact]
    public void WithoutAGroupFileOnlyANumberResolves()
    {
        Assert.Equal(42, UnixSocketEndpoint.GroupId("42", "/nonexistent/group"));
        Assert.Null(UnixSocketEndpoint.GroupId("traceloop", "/nonexistent/group"));
    }

    public void Dispose() => File.Delete(_file);
}
