using System.Text;
using Kubectl.Traceloop;
using Traceloop.Cli.Common;

namespace Traceloop.Tests.Kubectl;

/// <summary>The command line as a user types it: bad flags are usage errors (exit 1) with one clear line.</summary>
public sealed class PluginFlagsTests
{
    [Theory]
    [InlineData(new[] { "dump", "p", "-o", "xml" }, "xml")]
    [InlineData(new[] { "ls", "-o", "csv" }, "csv")]
    [InlineData(new[] { "dump" }, "pod")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    public async Task ParseErrors_ExitWithUsage(string[] args, string mentioned)
    {
        (int code, _, string error) = await RunAsync(args);
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(mentioned, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "dump", "p", "--last", "0" }, "error: --last must be a positive number of events")]
    [InlineData(new[] { "ls", "--request-timeout", "0" }, "error: --request-timeout must be a positive number of seconds")]
    [InlineData(new[] { "get", "../etc/passwd" }, "error: ../etc/passwd is not a dump id: ids are letters, digits, '-', '_', '.' and '~'")]
    [InlineData(new[] { "ls", "--kubeconfig", "/nonexistent/kubeconfig" }, "error: kubeconfig /nonexistent/kubeconfig does not exist")]
    public async Task BadValues_AreOneLine_AndAUsageExit(string[] args, string expected)
    {
        (int code, _, string error) = await RunAsync(args);
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal(expected + "\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task GlobalFlags_AreAcceptedAfterTheCommand_AsKubectlAllows()
    {
        (int code, string output, _) = await RunAsync(["dump", "--help", "-n", "shop", "--context", "c"]);
        Assert.Equal(0, code);
        Assert.Contains("--container", output, StringComparison.Ordinal);
        Assert.Contains("--namespace", output, StringComparison.Ordinal);
        Assert.Contains("perfetto", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new MemoryStream();
        var error = new StringWriter();
        int code = await PluginApp.RunAsync(args, new CliConsole(output, error, outputIsTerminal: false, _ => null, TimeProvider.System, autoFlush: true));
        return (code, Encoding.UTF8.GetString(output.ToArray()), error.ToString());
    }
}
