using System.Text;
using Traceloop.Cli;
using Traceloop.Cli.Common;

namespace Traceloop.Tests.Cli;

/// <summary>Runs the CLI in-process with captured output, a fixed clock and a given environment.</summary>
internal static class CliHarness
{
    public sealed record Result(int ExitCode, string Stdout, byte[] StdoutBytes, string Stderr);

    public static async Task<Result> RunAsync(string[] args, bool terminal = false, Dictionary<string, string>? environment = null)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter { NewLine = "\n" };
        var console = new CliConsole(stdout, stderr, terminal, name => environment?.GetValueOrDefault(name), TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        ExitCode code = await CliApp.RunAsync(args, console, timeout.Token);
        byte[] bytes = stdout.ToArray();
        return new Result((int)code, Encoding.UTF8.GetString(bytes), bytes, stderr.ToString());
    }
}
