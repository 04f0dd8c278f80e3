using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests;

/// <summary>
/// Keying containers by a cgroup v1 hierarchy, as on hosts without cgroup v2. This machine
/// class is hybrid (v1 controllers plus v2 at /sys/fs/cgroup/unified), so forcing the v1
/// memory hierarchy exercises the v1 path in the kernel for real.
/// </summary>
public sealed class CgroupV1Tests
{
    [Fact]
    public async Task KeyedByTheV1MemoryHierarchy_AContainerIsRecordedFromItsStart()
    {
        RootRequirement.Ensure();
        Assert.True(Directory.Exists("/sys/fs/cgroup/memory/kubepods") || File.Exists("/sys/fs/cgroup/memory/cgroup.procs"),
            "this test needs a cgroup v1 memory hierarchy at /sys/fs/cgroup/memory (a hybrid or v1 host, like CI's)");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // Spare rings for the containers other tests start at the same moment: with none queued this
        // one would get its ring late, and its exec would be missing for a reason this test is not about.
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(["--cgroup-hierarchy", "memory", "--spare-rings", "16"], cts.Token);
        Assert.Contains("containers keyed by cgroup v1 memory hierarchy at /sys/fs/cgroup/memory", recorder.Output, StringComparison.Ordinal);

        string marker = $"/v1-{Guid.NewGuid():N}";
        await using RuncContainer container = await RuncContainer.RunAsync(new ContainerSpec { Args = ["cat", marker] }, cts.Token);
        Assert.Equal(1, await container.WaitForExitAsync(cts.Token));

        ContainerInfo info = await Eventually.GetAsync(async () =>
            (await recorder.Client.GetContainersAsync(cts.Token)).Find(c => c.Id == container.Id && c.ExitedAt is not null),
            TimeSpan.FromSeconds(20), "the container to be listed as ended");
        // The key is the container's cgroup in the memory hierarchy, not in the v2 one.
        Assert.Equal(Inode($"/sys/fs/cgroup/memory{container.CgroupPath}"), info.CgroupId);
        Assert.Equal(1 << 8, info.ExitStatus);

        List<TraceEventDto> events = await recorder.Client.GetDumpJsonAsync(container.Id, ct: cts.Token);
        // An event whose entry was not recorded (a thread's syscall in progress when recording began) has no arguments.
        Assert.Contains(events, e => e.Name == "execve" && e.Args is { Length: > 0 } a && a[0].Text == "\"/bin/cat\"" && e.Pid == container.InitPid);
        Assert.Contains(events, e => e.Name == "openat" && e.Args is { Length: > 1 } a && a[1].Text == $"\"{marker}\"" && e.Errno == "ENOENT");
        Assert.Equal(RecordingOrigins.FirstSyscall, info.RecordingOrigin);
    }

    private static ulong Inode(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return ulong.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
