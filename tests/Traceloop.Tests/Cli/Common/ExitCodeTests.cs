using Traceloop.Cli.Common;

namespace Traceloop.Tests.Cli.Common;

public sealed class ExitCodeTests
{
    [Theory]
    [InlineData(ExitCode.Success, 0)]
    [InlineData(ExitCode.Usage, 1)]
    [InlineData(ExitCode.Unreachable, 2)]
    [InlineData(ExitCode.ApiError, 3)]
    [InlineData(ExitCode.Failed, 4)]
    [InlineData(ExitCode.Interrupted, 130)]
    public void TheNodeCli_ExitsWithTheCodesNumber(ExitCode code, int status) =>
        Assert.Equal(status, code.ToNodeStatus());

    /// <summary>The plugin's help text promises 0 success, 1 usage, 2 failure, 3 partial.</summary>
    [Theory]
    [InlineData(ExitCode.Success, 0)]
    [InlineData(ExitCode.Usage, 1)]
    [InlineData(ExitCode.Unreachable, 2)]
    [InlineData(ExitCode.ApiError, 2)]
    [InlineData(ExitCode.Failed, 2)]
    [InlineData(ExitCode.Interrupted, 2)]
    [InlineData(ExitCode.Partial, 3)]
    public void ThePlugin_FoldsCodesIntoItsFourStatuses(ExitCode code, int status) =>
        Assert.Equal(status, code.ToPluginStatus());
}
