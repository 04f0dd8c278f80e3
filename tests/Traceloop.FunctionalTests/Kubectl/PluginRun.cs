using System.Diagnostics;

namespace Traceloop.FunctionalTests.Kubectl;

/// <summary>How one run of the plugin (or of kubectl running it) ended.</summary>
public sealed record PluginResult(int ExitCode, string Output, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>
/// Runs the built kubectl-traceloop, directly or through the real kubectl, the way a user does:
/// from a directory on PATH holding only the plugin, with a kubeconfig and no ~/.kube of the host's.
/// </summary>
public sealed class PluginRun : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-plugin-").FullName;

    public PluginRun(string? kubeconfig)
    {
        Kubeconfig = kubeconfig;
        PluginDir = Path.Join(_dir, "bin");
        Directory.CreateDirectory(PluginDir);
        // kubectl takes every kubectl-* file on PATH for a plugin, so the build output (with its
        // kubectl-traceloop.dll, .pdb, ...) cannot be on PATH itself; a link to the app host can.
        File.CreateSymbolicLink(Path.Join(PluginDir, "kubectl-traceloop"), PluginBinaryPath);
        Directory.CreateDirectory(Home);
    }

    /// <summary>The build's app host, or TRACELOOP_KUBECTL_PLUGIN (e.g. the Native AOT file `dotnet publish` made).</summary>
    public static string PluginBinaryPath =>
        Environment.GetEnvironmentVariable("TRACELOOP_KUBECTL_PLUGIN") is { Length: > 0 } published
            ? Path.GetFullPath(published)
            : Path.Join(AppContext.BaseDirectory, "kubectl-traceloop");

    public string PluginDir { get; }

    public string? Kubeconfig { get; }

    private string Home => Path.Join(_dir, "home");

    /// <summary>kubectl traceloop ARGS, through the real kubectl.</summary>
    public Task<PluginResult> KubectlAsync(params string[] args) => RunAsync(KubectlPath(), ["traceloop", .. args]);

    /// <summary>kubectl-traceloop ARGS, the plugin binary alone.</summary>
    public Task<PluginResult> PluginAsync(params string[] args) => RunAsync(PluginBinaryPath, args);

    public async Task<PluginResult> RunAsync(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["PATH"] = PluginDir + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["HOME"] = Home;
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
        psi.Environment.Remove("KUBECONFIG");
        if (Kubeconfig is not null)
        {
            psi.Environment["KUBECONFIG"] = Kubeconfig;
        }
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(Timeout);
        Task<string> output = process.StandardOutput.ReadToEndAsync(cts.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds} s");
        }
        return new PluginResult(process.ExitCode, await output, await error);
    }

    /// <summary>The machine's kubectl; its absence is a failure, not a skip (CI machines have it).</summary>
    public static string KubectlPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Join(d, "kubectl")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("kubectl is not on PATH: install it (the plugin tests run the real kubectl)");

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
