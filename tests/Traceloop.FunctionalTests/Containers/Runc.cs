using System.Diagnostics;
using System.Text.Json;

namespace Traceloop.FunctionalTests.Containers;

/// <summary>The runc command line, confined to a state root of its own so tests never see or touch other runc state.</summary>
internal static class Runc
{
    public const string StateRoot = "/run/traceloop-tests/runc";

    private static readonly Lazy<string> s_executable = new(() =>
        new[] { "/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("runc not found in /usr/sbin, /usr/bin, /usr/local/sbin or /usr/local/bin: install runc"));

    /// <summary>
    /// `runc create`: returns once the container's init is waiting on its exec fifo. The init inherits runc's stdio,
    /// so the command runs under sh to hand it files: .NET gives a child only pipes or our own stdio, and a pipe held
    /// by the container would keep Process.WaitForExitAsync waiting for EOF long after runc exits.
    /// runc's own error messages land in <paramref name="stderrPath"/> too, but only when create fails and the container never ran.
    /// </summary>
    public static async Task CreateAsync(string id, string bundle, string stdoutPath, string stderrPath, CancellationToken ct)
    {
        string[] args =
        [
            "-c", "out=$1 err=$2; shift 2; exec \"$@\" </dev/null >\"$out\" 2>\"$err\"", "sh", stdoutPath, stderrPath,
            s_executable.Value, "--root", StateRoot, "create", "--bundle", bundle, id,
        ];
        var result = await RunAsync("/bin/sh", args, ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"runc create {id} failed with exit code {result.ExitCode}: {File.ReadAllText(stderrPath).Trim()} {result.Stderr.Trim()}");
        }
    }

    public static async Task StartAsync(string id, CancellationToken ct) => (await RuncAsync(["start", id], ct)).ThrowOnFailure("start", id);

    /// <summary>`runc delete --force` succeeds for a container that is already gone.</summary>
    public static async Task DeleteAsync(string id, CancellationToken ct) => (await RuncAsync(["delete", "--force", id], ct)).ThrowOnFailure("delete", id);

    public static async Task<(string Status, int Pid)> StateAsync(string id, CancellationToken ct)
    {
        var result = await RuncAsync(["state", id], ct);
        result.ThrowOnFailure("state", id);
        using var state = JsonDocument.Parse(result.Stdout);
        return (state.RootElement.GetProperty("status").GetString()!, state.RootElement.GetProperty("pid").GetInt32());
    }

    private static Task<ProcessResult> RuncAsync(string[] args, CancellationToken ct) =>
        RunAsync(s_executable.Value, ["--root", StateRoot, .. args], ct);

    private static async Task<ProcessResult> RunAsync(string fileName, string[] args, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo(fileName, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
    {
        public void ThrowOnFailure(string command, string id)
        {
            if (ExitCode != 0)
            {
                throw new InvalidOperationException($"runc {command} {id} failed with exit code {ExitCode}: {Stderr.Trim()}");
            }
        }
    }
}
