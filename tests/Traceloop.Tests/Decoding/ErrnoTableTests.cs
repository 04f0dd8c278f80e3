using Traceloop.Recorder.Decoding;

namespace Traceloop.Tests.Decoding;

public sealed class ErrnoTableTests
{
    [Theory]
    [InlineData(1, "EPERM", "Operation not permitted")]
    [InlineData(2, "ENOENT", "No such file or directory")]
    [InlineData(9, "EBADF", "Bad file descriptor")]
    [InlineData(13, "EACCES", "Permission denied")]
    [InlineData(17, "EEXIST", "File exists")]
    [InlineData(38, "ENOSYS", "Function not implemented")]
    [InlineData(111, "ECONNREFUSED", "Connection refused")]
    [InlineData(133, "EHWPOISON", "Memory page has hardware error")]
    public void KnownErrnosHaveGlibcMessages(int errno, string name, string message)
    {
        Assert.Equal(name, ErrnoTable.Name(errno));
        Assert.Equal(message, ErrnoTable.Message(errno));
    }

    [Theory]
    [InlineData(11, "EAGAIN", "Resource temporarily unavailable")]   // not EWOULDBLOCK
    [InlineData(35, "EDEADLK", "Resource deadlock avoided")]          // not EDEADLOCK
    [InlineData(95, "EOPNOTSUPP", "Operation not supported")]         // not ENOTSUP
    public void AliasedNumbersUseStracesName(int errno, string name, string message)
    {
        Assert.Equal(name, ErrnoTable.Name(errno));
        Assert.Equal(message, ErrnoTable.Message(errno));
    }

    [Theory]
    [InlineData(512, "ERESTARTSYS", "To be restarted if SA_RESTART is set")]
    [InlineData(513, "ERESTARTNOINTR", "To be restarted")]
    [InlineData(514, "ERESTARTNOHAND", "To be restarted if no handler")]
    [InlineData(515, "ENOIOCTLCMD", "Unknown error 515")]
    [InlineData(516, "ERESTART_RESTARTBLOCK", "Interrupted by signal")]
    public void KernelRestartCodesHaveStracesTexts(int errno, string name, string message)
    {
        Assert.Equal(name, ErrnoTable.Name(errno));
        Assert.Equal(message, ErrnoTable.Message(errno));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    [InlineData(41)]    // never assigned
    [InlineData(58)]    // never assigned
    [InlineData(134)]
    [InlineData(511)]
    [InlineData(517)]
    [InlineData(4095)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void UnknownErrnosHaveNoNameOrMessage(int errno)
    {
        Assert.Null(ErrnoTable.Name(errno));
        Assert.Null(ErrnoTable.Message(errno));
    }

    [Fact]
    public void EveryErrnoFromOneTo133IsNamedExceptTheTwoHoles()
    {
        for (var errno = 1; errno <= 133; errno++)
        {
            if (errno is 41 or 58)
            {
                continue;
            }

            Assert.StartsWith("E", ErrnoTable.Name(errno));
            Assert.False(string.IsNullOrEmpty(ErrnoTable.Message(errno)));
        }
    }
}
