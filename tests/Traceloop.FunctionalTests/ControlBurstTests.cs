using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Containers;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// 300 container cgroups made and removed at once while the recorder is stopped (SIGSTOP), so
/// the kernel's 600 notices overrun the control ring (about 110 fit): after it resumes, the
/// drops are counted and reconciled, the registry ends equal to the kernel's containers map
/// (read with bpftool), and every slot is back for the next container.
/// </summary>
[Collection(ControlBurstTests.Alone)]
public sealed class ControlBurstTests(ITestOutputHelper output)
{
    /// <summary>
    /// Run with no other test: every recorder records every container cgroup on the host, so 300
    /// at once would fill the other tests' recorders too.
    /// </summary>
    public const string Alone = "control burst, alone";

    private const int Cgroups = 300;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task ABurstOf300ContainerCgroups_LeavesTheRegistryEqualToTheKernelMap_AndEverySlotBack()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(
            ["--max-containers", "16", "--spare-rings", "4", "--grace-period", "00:00:01"], cts.Token);
        KernelMaps maps = KernelMaps.Of(recorder.Pid);

        // The unified hierarchy, wherever this host mounts it (/sys/fs/cgroup, or .../unified on a hybrid host).
        CgroupFs cgroups = CgroupFs.Locate("unified");
        string podPath = "/kubepods/besteffort/pod" + Guid.NewGuid();
        string pod = cgroups.ToDirectory(podPath);
        Directory.CreateDirectory(pod);
        var ids = new HashSet<ulong>();
        string[] paths = [.. Enumerable.Range(0, Cgroups).Select(_ => podPath + "/" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)))];
        string[] dirs = [.. paths.Select(cgroups.ToDirectory)];
        // A recorder that cannot drain the control ring in time, as under load: stopped outright.
        Assert.Equal(0, Containers.Interop.Libc.kill(recorder.Pid, Containers.Interop.Libc.SIGSTOP));
        try
        {
            Parallel.ForEach(dirs, d => Directory.CreateDirectory(d));
            foreach (string path in paths)
            {
                ids.Add(cgroups.IdOf(path));
            }
        }
        finally
        {
            Parallel.ForEach(dirs, d => Directory.Delete(d));
            Directory.Delete(pod);
            Containers.Interop.Libc.kill(recorder.Pid, Containers.Interop.Libc.SIGCONT);
        }

        // The lost notices are reconciled at the next sweep.
        await Eventually.TrueAsync(async () =>
            !(await recorder.Client.GetContainersAsync(cts.Token)).Any(c => c.CgroupPath.StartsWith(podPath, StringComparison.Ordinal))
            && !maps.ContainerKeys().Overlaps(ids),
            TimeSpan.FromSeconds(90), "the registry and the kernel's containers map to hold none of the 300 cgroups");

        // Every slot is back: a new container gets a ring at once.
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["ls", "/"] }, cts.Token);
        Assert.Equal(0, await container.WaitForExitAsync(cts.Token));
        ContainerInfo info = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == container.Id), TimeSpan.FromSeconds(10), "the new container");
        Assert.True(info.BufferBytes > 0, "the new container has no ring: slots leaked");
        Assert.Contains("execve(\"/bin/ls\"", await recorder.Client.GetDumpTextAsync(container.Id, ct: cts.Token), StringComparison.Ordinal);
        Assert.DoesNotContain("Handling the notification", recorder.Output, StringComparison.Ordinal);
        Assert.Contains("container notices for want of room in the control ring", recorder.Output, StringComparison.Ordinal);
        Assert.Contains("Reconciled with the kernel after lost notices", recorder.Output, StringComparison.Ordinal);
        output.WriteLine(string.Join('\n', recorder.Output.Split('\n').Where(l => l.Contains("dropped", StringComparison.Ordinal) || l.Contains("Reconciled", StringComparison.Ordinal))));
    }
}

[CollectionDefinition(ControlBurstTests.Alone, DisableParallelization = true)]
public sealed class ControlBurstCollection;
