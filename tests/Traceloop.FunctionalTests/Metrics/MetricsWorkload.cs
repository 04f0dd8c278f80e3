using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.Metrics;

/// <summary>
/// A container that makes an exact number of syscalls when told to: it waits (access and
/// nanosleep only) until a file appears in its rootfs, then makes N failing openat of a path,
/// M getppid and, when asked, one call each of D distinct syscall numbers no kernel has (ENOSYS).
/// With two racing threads, each makes those D calls, both entering each number's at once: the
/// first call of a syscall from two CPUs together, which the kernel's series cap must count once.
/// </summary>
public sealed class MetricsWorkload
{
    private const string Source = """
        #include <fcntl.h>
        #include <pthread.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>
        #include <sys/syscall.h>

        static int d, racers, arrived;

        /* Every racer makes each distinct call once, all of them entering it together (a spin barrier a number). */
        static void *distinct(void *unused)
        {
            for (int i = 0; i < d; i++) {
                __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
                while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < racers * (i + 1))
                    ;
                syscall(600L + i);
            }
            return unused;
        }

        /* go-file openat-count getppid-count path [distinct-numbers [racing-threads]] */
        int main(int argc, char **argv)
        {
            struct timespec pause = { 0, 10 * 1000 * 1000 };
            int n = atoi(argv[2]), m = atoi(argv[3]);
            pthread_t other;

            d = argc > 5 ? atoi(argv[5]) : 0;
            racers = argc > 6 ? atoi(argv[6]) : 1;

            while (syscall(SYS_access, argv[1], F_OK) != 0)
                syscall(SYS_nanosleep, &pause, 0);
            for (int i = 0; i < n; i++)
                syscall(SYS_openat, AT_FDCWD, argv[4], O_RDONLY);
            for (int i = 0; i < m; i++)
                syscall(SYS_getppid);
            if (racers > 1 && pthread_create(&other, 0, distinct, 0) != 0)
                return 2;
            distinct(0);
            if (racers > 1)
                pthread_join(other, 0);
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

    /// <param name="racers">Threads that make the distinct calls together: 1 or 2.</param>
    public static async Task<MetricsWorkload> StartAsync(int openats, int getppids, string path, int distinct, CancellationToken ct, int racers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(racers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(racers, 2);
        string binary = await StaticBinary.CompileAsync(Source, ct);
        BusyboxRootfs.Shared.CopyIn(binary, "/usr/local/bin/metrics-workload");
        string goFile = $"/metrics-go-{Guid.NewGuid():N}";
        string[] args = ["/usr/local/bin/metrics-workload", goFile, $"{openats}", $"{getppids}", path, .. distinct > 0 ? new[] { $"{distinct}", $"{racers}" } : []];
        return new MetricsWorkload(await RuncContainer.RunAsync(new ContainerSpec { Args = args }, ct), goFile);
    }

    /// <summary>Lets the workload make its calls; it exits after them.</summary>
    public void Go() => File.WriteAllText(BusyboxRootfs.Shared.HostPath(_goFile), "");

    public void RemoveGoFile() => File.Delete(BusyboxRootfs.Shared.HostPath(_goFile));
}
