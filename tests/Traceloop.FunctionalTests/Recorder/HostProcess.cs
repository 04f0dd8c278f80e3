using System.Diagnostics;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>A test program run on the host, killed on disposal if it still runs: some spin until told to stop.</summary>
internal sealed class HostProcess : IDisposable
{
    private HostProcess(Process process) => Process = process;

    public Process Process { get; }

    public int Id => Process.Id;

    public static HostProcess Start(string binary, params string[] args)
    {
        var psi = new ProcessStartInfo(binary);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return new HostProcess(Process.Start(psi)!);
    }

    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        await Process.WaitForExitAsync(ct);
        return Process.ExitCode;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit();
        }
        Process.Dispose();
    }
}
