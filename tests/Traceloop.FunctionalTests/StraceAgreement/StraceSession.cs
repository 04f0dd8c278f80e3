using System.Diagnostics;

namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>
/// strace attached from the host to a created container's init, following every thread and child, writing its
/// default format (<c>PID name(args) = ret</c>) to a file. It exits by itself when the last tracee is gone.
/// </summary>
internal sealed class StraceSession : IAsyncDisposable
{
    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly Task<string> _stderr;

    private StraceSession(Process process, string outputPath)
    {
        _process = process;
        OutputPath = outputPath;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public string OutputPath { get; }

    /// <summary>
    /// Options, each chosen so the two views can be compared line by line:
    /// -f follows children and, with -p, attaches every existing thread of the process;
    /// -q drops the attach and detach notes but keeps "+++ exited with N +++" (-qq would drop those too);
    /// -s 64 shows as many buffer bytes as the recorder keeps by default (--max-bytes 64; strace's own default is 32).
    /// </summary>
    public static IReadOnlyList<string> Options(int maxBytes) => ["-f", "-q", "-s", maxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>Starts strace on <paramref name="pid"/> and returns once every thread of it is traced.</summary>
    public static async Task<StraceSession> AttachAsync(int pid, string outputPath, int maxBytes, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo("strace")
        {
            RedirectStandardOutput = false,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string option in Options(maxBytes))
        {
            startInfo.ArgumentList.Add(option);
        }
        foreach (string arg in (string[])["-o", outputPath, "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            startInfo.ArgumentList.Add(arg);
        }
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("strace did not start");
        var session = new StraceSession(process, outputPath);
        try
        {
            await session.WaitAttachedAsync(pid, ct);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for strace to exit, which it does once the container's last process is gone; returns its log.</summary>
    public async Task<string> WaitForExitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        string stderr = await _stderr.WaitAsync(ct);
        if (_process.ExitCode != 0 && stderr.Length > 0)
        {
            throw new InvalidOperationException($"strace exited with {_process.ExitCode}: {stderr.Trim()}");
        }
        return await File.ReadAllTextAsync(OutputPath, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            using var timeout = new CancellationTokenSource(KillTimeout);
            await _process.WaitForExitAsync(timeout.Token);
        }
        _process.Dispose();
    }

    private async Task WaitAttachedAsync(int pid, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(AttachTimeout);
        while (!AllThreadsTracedBy(pid, _process.Id))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"strace exited with {_process.ExitCode} while attaching: {(await _stderr.WaitAsync(KillTimeout)).Trim()}");
            }
            try
            {
                await Task.Delay(10, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"strace did not attach to every thread of {pid} within {AttachTimeout.TotalSeconds} s");
            }
        }
    }

    private static bool AllThreadsTracedBy(int pid, int tracer)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (DirectoryNotFoundException)
        {
            throw new InvalidOperationException($"process {pid} exited before strace attached");
        }
        foreach (string task in tasks)
        {
            string? line = null;
            try
            {
                line = File.ReadLines(Path.Join(task, "status")).FirstOrDefault(l => l.StartsWith("TracerPid:", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                // The thread exited while we looked.
                continue;
            }
            if (line is null || int.Parse(line.AsSpan("TracerPid:".Length).Trim(), System.Globalization.CultureInfo.InvariantCulture) != tracer)
            {
                return false;
            }
        }
        return tasks.Length > 0;
    }
}
