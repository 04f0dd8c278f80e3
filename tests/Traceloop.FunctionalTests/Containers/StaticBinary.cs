using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Traceloop.FunctionalTests.Containers;

/// <summary>Workloads written in C, compiled with gcc -static so they run in the busybox rootfs, which has no libc.</summary>
public static class StaticBinary
{
    private static readonly string OutputDirectory = CreateOutputDirectory();
    private static readonly Dictionary<string, Task<string>> s_compiled = [];

    /// <summary>Compiles <paramref name="cSource"/> once per test run, however many tests ask; returns the host path of the binary.</summary>
    public static Task<string> CompileAsync(string cSource, CancellationToken ct)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cSource)))[..16];
        lock (s_compiled)
        {
            if (!s_compiled.TryGetValue(hash, out var compiled) || compiled.IsFaulted || compiled.IsCanceled)
            {
                compiled = s_compiled[hash] = CompileCoreAsync(cSource, Path.Join(OutputDirectory, hash), ct);
            }
            return compiled.WaitAsync(ct);
        }
    }

    private static string CreateOutputDirectory()
    {
        string directory = Directory.CreateTempSubdirectory("traceloop-workloads-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        return directory;
    }

    private static async Task<string> CompileCoreAsync(string cSource, string output, CancellationToken ct)
    {
        string source = output + ".c";
        await File.WriteAllTextAsync(source, cSource, ct);
        var startInfo = new ProcessStartInfo("gcc", ["-static", "-O1", "-o", output, source])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("gcc did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        string stderr = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        await stdout;
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"gcc -static failed with exit code {process.ExitCode}: {stderr}");
    }
}
