using System.Diagnostics;
using System.Text;

namespace Traceloop.FunctionalTests.Cli;

/// <summary>The built <c>traceloop</c> binary, run to completion as a user runs it.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, byte[] StdoutBytes, string Stderr)
    {
        public string Stdout => Encoding.UTF8.GetString(StdoutBytes);
    }

    public static string BinaryPath => Path.Join(AppContext.BaseDirectory, "traceloop");

    /// <summary>Runs <c>traceloop</c>; <paramref name="withoutCapabilities"/> runs it as root with every capability dropped, as setpriv does.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, bool withoutCapabilities = false)
    {
        var psi = new ProcessStartInfo(withoutCapabilities ? "setpriv" : BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (withoutCapabilities)
        {
            foreach (string a in (string[])["--securebits", "+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked",
                "--inh-caps=-all", "--bounding-set=-all", BinaryPath])
            {
                psi.ArgumentList.Add(a);
            }
        }
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
        psi.Environment.Remove("TRACELOOP_SOCKET");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {BinaryPath}");
        var stdout = new MemoryStream();
        Task copy = p.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        Task<string> stderr = p.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new TimeoutException($"traceloop {string.Join(' ', args)} did not exit within 90 s");
        }
        await copy;
        return new Result(p.ExitCode, stdout.ToArray(), await stderr);
    }
}
