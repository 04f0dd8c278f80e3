using System.Diagnostics;

namespace Traceloop.FunctionalTests.Containers;

/// <summary>
/// A busybox root filesystem in a temporary directory: busybox-static and a symlink per applet, at the paths busybox
/// itself lists. Containers mount it read-only and share it; <see cref="Shared"/> is built once per test run.
/// </summary>
public sealed class BusyboxRootfs : IDisposable
{
    private static readonly string[] BusyboxCandidates = ["/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox"];

    private static readonly Lazy<BusyboxRootfs> s_shared = new(() =>
    {
        var rootfs = new BusyboxRootfs();
        // xunit v2 has no assembly-wide fixture to dispose it; the directory goes with the test process.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => rootfs.Dispose();
        return rootfs;
    });

    private readonly Lock _lock = new();

    public BusyboxRootfs()
    {
        string busybox = BusyboxCandidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("busybox not found: install busybox-static");
        StaticElf.EnsureStaticIfElf(busybox);

        Path = Directory.CreateTempSubdirectory("traceloop-rootfs-").FullName;
        File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
        try
        {
            Populate(busybox);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static BusyboxRootfs Shared => s_shared.Value;

    /// <summary>The host directory that containers see as /.</summary>
    public string Path { get; }

    /// <summary>
    /// Copies a host file into the rootfs, keeping its mode. Executables must be static (gcc -static): there is no libc here.
    /// Containers already running see the file too; replacing a file swaps it atomically under them.
    /// </summary>
    public void CopyIn(string hostPath, string containerPath)
    {
        if (!containerPath.StartsWith('/') || containerPath.Split('/').Contains(".."))
        {
            throw new ArgumentException($"'{containerPath}' must be absolute and stay inside the rootfs", nameof(containerPath));
        }
        StaticElf.EnsureStaticIfElf(hostPath);
        string destination = HostPath(containerPath);
        lock (_lock)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            string staging = destination + ".copying";
            File.Copy(hostPath, staging, overwrite: true);
            File.SetUnixFileMode(staging, File.GetUnixFileMode(hostPath));
            File.Move(staging, destination, overwrite: true);
        }
    }

    /// <summary>Where <paramref name="containerPath"/> lives on the host.</summary>
    public string HostPath(string containerPath) => System.IO.Path.Join(Path, containerPath);

    public void Dispose()
    {
        // Deleting does not follow the applet symlinks, whose absolute targets point into the host's /bin.
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }

    private void Populate(string busybox)
    {
        // Mount points must exist up front: runc would otherwise create them in this shared directory.
        foreach (string directory in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "proc", "dev", "sys", "tmp", "etc", "root", "var" })
        {
            Directory.CreateDirectory(HostPath("/" + directory));
        }
        File.SetUnixFileMode(HostPath("/tmp"), (UnixFileMode)0b1_111_111_111);
        CopyIn(busybox, "/bin/busybox");

        foreach (string applet in ListApplets(busybox))
        {
            string link = HostPath("/" + applet);
            if (!File.Exists(link))
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(link)!);
                File.CreateSymbolicLink(link, "/bin/busybox");
            }
        }

        File.WriteAllText(HostPath("/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(HostPath("/etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        File.WriteAllText(HostPath("/etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n");
        // Empty, and a mount point for the host's file when a container shares the host network.
        File.WriteAllText(HostPath("/etc/resolv.conf"), "");
    }

    private static IEnumerable<string> ListApplets(string busybox)
    {
        var startInfo = new ProcessStartInfo(busybox, ["--list-full"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(startInfo)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{busybox} --list-full failed with exit code {process.ExitCode}");
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
