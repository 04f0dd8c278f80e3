using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests;

public sealed class ContainerFixtureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string SegfaultSource = """
        int main(void)
        {
            *(volatile int *)0 = 1;
            return 0;
        }
        """;

    [Fact]
    public async Task Stdout_and_stderr_are_captured()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", "echo hello from busybox; echo oops >&2"] }, cts.Token);

        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        Assert.Equal("hello from busybox\n", container.Stdout);
        Assert.Equal("oops\n", container.Stderr);
    }

    [Fact]
    public async Task Exit_code_is_reported()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sh", "-c", "exit 3"] }, cts.Token);

        Assert.Equal(3, await container.WaitForExitAsync(cts.Token));
    }

    [Fact]
    public async Task Death_by_a_real_fault_is_reported_as_128_plus_SIGSEGV()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string segfault = await StaticBinary.CompileAsync(SegfaultSource, cts.Token);
        BusyboxRootfs.Shared.CopyIn(segfault, "/usr/local/bin/segfault");

        await using var container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["/usr/local/bin/segfault"] }, cts.Token);

        Assert.Equal(128 + 11, await container.WaitForExitAsync(cts.Token));
    }

    [Fact]
    public async Task A_signal_sent_from_inside_to_pid_1_without_a_handler_is_dropped_by_the_kernel()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", "kill -SEGV $$; echo survived"] }, cts.Token);

        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        Assert.Equal("survived\n", container.Stdout);
    }

    [Fact]
    public async Task Kill_from_the_host_is_reported_as_128_plus_SIGKILL()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sleep", "600"] }, cts.Token);

        await container.KillAsync(9);

        Assert.Equal(128 + 9, await container.WaitForExitAsync(cts.Token));
    }

    [Fact]
    public async Task The_container_process_is_in_the_kubelet_cgroup_path_in_every_hierarchy()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sleep", "600"] }, cts.Token);

        Assert.Matches("^/kubepods/besteffort/pod[0-9a-f-]{36}/[0-9a-f]{64}$", container.CgroupPath);
        Assert.Equal($"/kubepods/besteffort/pod{container.PodUid}/{container.Id}", container.CgroupPath);
        string[] lines = File.ReadAllLines($"/proc/{container.InitPid}/cgroup");
        Assert.Contains($"0::{container.CgroupPath}", lines);
        Assert.All(lines, line => Assert.EndsWith($":{container.CgroupPath}", line, StringComparison.Ordinal));
        Assert.All(container.CgroupDirectories, directory => Assert.Contains(
            container.InitPid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            File.ReadAllLines(Path.Join(directory, "cgroup.procs"))));
    }

    [Fact]
    public async Task Guaranteed_pods_sit_directly_under_kubepods()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.CreateAsync(
            new ContainerSpec { Args = ["true"], QosClass = "guaranteed" }, cts.Token);

        Assert.Equal($"/kubepods/pod{container.PodUid}/{container.Id}", container.CgroupPath);
        Assert.Contains($"0::{container.CgroupPath}", File.ReadAllLines($"/proc/{container.InitPid}/cgroup"));
    }

    [Fact]
    public async Task Between_create_and_start_the_init_waits_in_its_cgroup_and_the_command_has_not_run()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.CreateAsync(
            new ContainerSpec { Args = ["sh", "-c", "touch /tmp/ran; echo ran"] }, cts.Token);

        string pid = container.InitPid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEmpty(container.CgroupDirectories);
        Assert.All(container.CgroupDirectories, directory => Assert.Equal([pid], File.ReadAllLines(Path.Join(directory, "cgroup.procs"))));
        Assert.Equal("runc:[2:INIT]\n", File.ReadAllText($"/proc/{pid}/comm"));
        // The init has already pivoted into the rootfs and mounted the container's /tmp.
        Assert.True(Directory.Exists($"/proc/{pid}/root/tmp"));
        Assert.False(File.Exists($"/proc/{pid}/root/tmp/ran"));
        Assert.Equal("", container.Stdout);

        await container.StartAsync(cts.Token);

        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        Assert.Equal("ran\n", container.Stdout);
    }

    [Fact]
    public async Task A_created_container_can_be_killed_before_it_starts()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.CreateAsync(new ContainerSpec { Args = ["echo", "never"] }, cts.Token);

        await container.KillAsync();

        Assert.Equal(128 + 9, await container.WaitForExitAsync(cts.Token));
        Assert.Equal("", container.Stdout);
    }

    [Fact]
    public async Task A_failed_create_reports_runc_error_and_leaves_no_cgroup_behind()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string podUid = Guid.NewGuid().ToString();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RuncContainer.CreateAsync(new ContainerSpec { Args = ["/no/such/binary"], PodUid = podUid }, cts.Token));

        Assert.Contains("/no/such/binary", error.Message, StringComparison.Ordinal);
        Assert.All(KubeletCgroups.Directories(KubeletCgroups.PodPath("besteffort", podUid)), pod => Assert.False(Directory.Exists(pod), pod));
    }

    [Fact]
    public async Task Dispose_removes_the_container_and_pod_cgroup_directories_and_is_idempotent()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sleep", "600"] }, cts.Token);
        var leaves = container.CgroupDirectories;
        var pods = leaves.Select(leaf => Path.GetDirectoryName(leaf)!).ToArray();
        Assert.All(leaves, leaf => Assert.True(Directory.Exists(leaf), leaf));

        await container.DisposeAsync().AsTask().WaitAsync(cts.Token);
        await container.DisposeAsync().AsTask().WaitAsync(cts.Token);

        Assert.All(leaves.Concat(pods), directory => Assert.False(Directory.Exists(directory), directory));
        Assert.Equal(128 + 9, await container.WaitForExitAsync(cts.Token));
    }

    [Fact]
    public async Task Containers_of_one_pod_share_the_pod_level_until_the_last_is_disposed()
    {
        using var cts = new CancellationTokenSource(Timeout);
        string podUid = Guid.NewGuid().ToString();
        await using var first = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sleep", "600"], PodUid = podUid }, cts.Token);
        await using var second = await RuncContainer.RunAsync(new ContainerSpec { Args = ["sleep", "600"], PodUid = podUid }, cts.Token);
        var pods = first.CgroupDirectories.Select(leaf => Path.GetDirectoryName(leaf)!).ToArray();
        Assert.Equal(pods, second.CgroupDirectories.Select(leaf => Path.GetDirectoryName(leaf)!));

        await first.DisposeAsync().AsTask().WaitAsync(cts.Token);
        Assert.All(pods, pod => Assert.True(Directory.Exists(pod), pod));

        await second.DisposeAsync().AsTask().WaitAsync(cts.Token);
        Assert.All(pods, pod => Assert.False(Directory.Exists(pod), pod));
    }

    [Fact]
    public async Task Containers_run_in_parallel_with_unique_ids_and_pods()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var containers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            RuncContainer.RunAsync(new ContainerSpec { Args = ["echo", $"container {i}"] }, cts.Token)));
        try
        {
            var exitCodes = await Task.WhenAll(containers.Select(container => container.WaitForExitAsync(cts.Token)));

            Assert.All(exitCodes, exitCode => Assert.Equal(0, exitCode));
            Assert.Equal(Enumerable.Range(0, 8).Select(i => $"container {i}\n"), containers.Select(container => container.Stdout));
            Assert.Equal(8, containers.Select(container => container.Id).Distinct().Count());
            Assert.Equal(8, containers.Select(container => container.PodUid).Distinct().Count());
        }
        finally
        {
            await Task.WhenAll(containers.Select(container => container.DisposeAsync().AsTask())).WaitAsync(cts.Token);
        }
    }

    [Fact]
    public async Task Without_network_the_container_sees_only_loopback()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["ls", "/sys/class/net"] }, cts.Token);

        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        Assert.Equal("lo\n", container.Stdout);
    }

    [Fact]
    public async Task With_network_the_container_shares_the_host_interfaces()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["ls", "-1", "/sys/class/net"], Network = true }, cts.Token);

        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        var hostInterfaces = Directory.GetFileSystemEntries("/sys/class/net").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(hostInterfaces, container.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Environment_variables_reach_the_process()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.RunAsync(
            new ContainerSpec { Args = ["sh", "-c", "echo $GREETING $HOME"], Env = new Dictionary<string, string> { ["GREETING"] = "hi" } },
            cts.Token);

        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        Assert.Equal("hi /root\n", container.Stdout);
    }

    [Fact]
    public async Task The_memory_limit_is_set_with_swap_disabled()
    {
        const long limit = 64 * 1024 * 1024;
        using var cts = new CancellationTokenSource(Timeout);
        await using var container = await RuncContainer.CreateAsync(
            new ContainerSpec { Args = ["true"], MemoryLimitBytes = limit }, cts.Token);

        var checkedFiles = new List<string>();
        foreach (string directory in container.CgroupDirectories)
        {
            // cgroup v1: memsw is memory plus swap. cgroup v2: swap.max is swap alone.
            checkedFiles.AddRange(AssertFileHolds(directory, "memory.limit_in_bytes", limit));
            checkedFiles.AddRange(AssertFileHolds(directory, "memory.memsw.limit_in_bytes", limit));
            checkedFiles.AddRange(AssertFileHolds(directory, "memory.max", limit));
            checkedFiles.AddRange(AssertFileHolds(directory, "memory.swap.max", 0));
        }
        Assert.NotEmpty(checkedFiles);
    }

    private static IEnumerable<string> AssertFileHolds(string directory, string file, long expected)
    {
        string path = Path.Join(directory, file);
        if (!File.Exists(path))
        {
            return [];
        }
        Assert.Equal(expected, long.Parse(File.ReadAllText(path), System.Globalization.CultureInfo.InvariantCulture));
        return [path];
    }
}
