using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.Metrics;

/// <summary>
/// A container that makes an exact number of syscalls when told to: it waits (access and
/// nanosleep only) until a file appears in its rootfs, then makes N failing openat of a path,
/// M getppid and, when asked, one call each of D distinct syscall numbers no kernel has (ENOSYS).
/// </summary>
public sealed class MetricsWorkload
{
    private const string Source = """
        #include <fcntl.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>
        #include <sys/syscall.h>

        /* go-file openat-count getppid-count path [distinct-numbers] */
        int main(int argc, char **argv)
        {
            struct timespec pause = { 0, 10 * 1000 * 1000 };
            int n = atoi(argv[2]), m = atoi(argv[3]), d = argc > 5 ? atoi(argv[5]) : 0;

            while (syscall(SYS_access, argv[1], F_OK) != 0)
                syscall(SYS_nanosleep, &pause, 0);
            for (int i = 0; i < n; i++)
                syscall(SYS_openat, AT_FDCWD, argv[4], O_RDONLY);
            for (int i = 0; i < m; i++)
                syscall(SYS_getppid);
            for (long nr = 600; nr < 600 + d; nr++)
                syscall(nr);
            return 0;
        }
        """;

    private readonly string _goFile;

    private MetricsWorkload(RuncContainer container, string goFile)
    {
        Container = container;
        _goFile = goFile;
    }

    public RuncContainer Container { get; }

    public static async Task<MetricsWorkload> StartAsync(int openats, int getppids, string path, int distinct, CancellationToken ct)
    {
        string binary = await StaticBinary.CompileAsync(Source, ct);
        BusyboxRootfs.Shared.CopyIn(binary, "/usr/local/bin/metrics-workload");
        string goFile = $"/metrics-go-{Guid.NewGuid():N}";
        string[] args = ["/usr/local/bin/metrics-workload", goFile, $"{openats}", $"{getppids}", path, .. distinct > 0 ? new[] { $"{distinct}" } : []];
        return new MetricsWorkload(await RuncContainer.RunAsync(new ContainerSpec { Args = args }, ct), goFile);
    }

    /// <summary>Lets the workload make its calls; it exits after them.</summary>
    public void Go() => File.WriteAllText(BusyboxRootfs.Shared.HostPath(_goFile), "");

    public void RemoveGoFile() => File.Delete(BusyboxRootfs.Shared.HostPath(_goFile));
}
