using Traceloop.Recorder.Containers;

namespace Traceloop.Tests.Containers;

public sealed class CgroupFsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("traceloop-mountinfo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void APureCgroupV2HostHasItAtSysFsCgroup()
    {
        string mountInfo = Write(
            "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw",
            "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw",
            "28 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw",
            "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
            "31 22 0:27 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:10 - bpf bpf rw,mode=700");

        Assert.Equal("/sys/fs/cgroup", CgroupFs.Locate("auto", mountInfo, ProcCgroups()).MountPoint);
    }

    [Fact]
    public void AHybridHostHasItAtTheUnifiedMount()
    {
        string mountInfo = Write(
            "25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
            "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate",
            "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd",
            "31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory");

        Assert.Equal("/sys/fs/cgroup/unified", CgroupFs.Locate("auto", mountInfo, ProcCgroups()).MountPoint);
    }

    [Fact]
    public void ACgroupV1OnlyHostUsesTheMemoryHierarchy_WithItsSubsystemIndexAndHierarchyId()
    {
        string mountInfo = Write(
            "25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
            "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd",
            "30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct",
            "31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory");

        CgroupFs fs = CgroupFs.Locate("auto", mountInfo, ProcCgroups());

        Assert.False(fs.IsV2);
        Assert.Equal("memory", fs.Controller);
        Assert.Equal("/sys/fs/cgroup/memory", fs.MountPoint);
        Assert.Equal(4, fs.SubsysIndex); // its line in /proc/cgroups, the kernel's memory_cgrp_id
        Assert.Equal(4, fs.HierarchyId);
    }

    [Fact]
    public void AChosenV1ControllerIsUsedEvenWhenCgroupV2IsMounted()
    {
        string mountInfo = Write(
            "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate",
            "30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct");

        CgroupFs fs = CgroupFs.Locate("cpu", mountInfo, ProcCgroups());

        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", fs.MountPoint);
        Assert.Equal(1, fs.SubsysIndex);
        Assert.Equal(1, fs.HierarchyId);
    }

    [Fact]
    public void NoUsableHierarchyIsRefusedWithAnExplanation()
    {
        string mountInfo = Write(
            "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd");

        var auto = Assert.Throws<InvalidOperationException>(() => CgroupFs.Locate("auto", mountInfo, ProcCgroups()));
        Assert.Contains("neither cgroup v2 nor a v1 memory, pids or cpu hierarchy is mounted", auto.Message, StringComparison.Ordinal);
        var unified = Assert.Throws<InvalidOperationException>(() => CgroupFs.Locate("unified", mountInfo, ProcCgroups()));
        Assert.Contains("mount -t cgroup2", unified.Message, StringComparison.Ordinal);
        var memory = Assert.Throws<InvalidOperationException>(() => CgroupFs.Locate("memory", mountInfo, ProcCgroups()));
        Assert.Contains("'memory' is not mounted", memory.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyMountTableIsRefusedToo()
    {
        Assert.Throws<InvalidOperationException>(() => CgroupFs.Locate("auto", Write(), ProcCgroups()));
    }

    [Fact]
    public void EscapedCharactersInTheMountPointAreDecoded()
    {
        string mountInfo = Write(
            @"40 28 0:35 / /mnt/my\040cgroup\011tab\134back rw,relatime shared:20 - cgroup2 none rw");

        Assert.Equal("/mnt/my cgroup\ttab\\back", CgroupFs.Locate("auto", mountInfo, ProcCgroups()).MountPoint);
    }

    [Fact]
    public void AMountOfASubtreeIsNotTheHierarchysRoot()
    {
        // Inside a container, /sys/fs/cgroup is the container's own cgroup: its ids are right
        // but its paths are not the root's, so a root mount later in the table is preferred.
        string mountInfo = Write(
            "600 500 0:26 /kubepods/besteffort/podx/abc /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw",
            "610 500 0:26 / /host/sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw");

        Assert.Equal("/host/sys/fs/cgroup", CgroupFs.Locate("auto", mountInfo, ProcCgroups()).MountPoint);
    }

    [Fact]
    public void InAPrivateCgroupNamespace_TheHostsHierarchyMountedIntoThePodIsUsed()
    {
        // A pod on a cgroup v2 node has its own cgroup namespace: the host's /sys/fs/cgroup,
        // mounted in as a hostPath, shows its root as "/.." once per level above the pod's cgroup.
        // /sys/fs/cgroup is a root directory (inode 1) on every Linux machine the tests run on.
        string mountInfo = Write(
            "700 600 0:26 /../../.. /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw");

        CgroupFs fs = CgroupFs.Locate("auto", mountInfo, ProcCgroups());

        Assert.Equal("/sys/fs/cgroup", fs.MountPoint);
        Assert.Equal(3, fs.NamespaceDepth);
    }

    [Fact]
    public void InAPrivateCgroupNamespace_AMountOfAnAncestorThatIsNotTheRootIsIgnored()
    {
        // Same "/.." form, but the directory is not a hierarchy's root: its paths would be wrong.
        string notRoot = Directory.CreateDirectory(Path.Join(_dir, "kubepods")).FullName;
        string mountInfo = Write(
            $"700 600 0:26 /../.. {notRoot} rw - cgroup2 cgroup2 rw",
            "701 600 0:26 /../x /elsewhere rw - cgroup2 cgroup2 rw");

        Assert.Throws<InvalidOperationException>(() => CgroupFs.Locate("unified", mountInfo, ProcCgroups()));
    }

    [Fact]
    public void InTheHostsCgroupNamespace_TheDepthIsZero()
    {
        string mountInfo = Write("30 22 0:26 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw");

        Assert.Equal(0, CgroupFs.Locate("auto", mountInfo, ProcCgroups()).NamespaceDepth);
    }

    [Fact]
    public void LinesWithoutOptionalFieldsOrSeparatorAreHandled()
    {
        string mountInfo = Write(
            "garbage line without a separator",
            "",
            "36 25 0:31 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw");

        Assert.Equal("/sys/fs/cgroup", CgroupFs.Locate("auto", mountInfo, ProcCgroups()).MountPoint);
    }

    [Fact]
    public void TheFirstRootMountWins()
    {
        string mountInfo = Write(
            "30 22 0:26 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw",
            "90 88 0:26 / /var/lib/kubelet/cgroup rw shared:9 - cgroup2 cgroup2 rw");

        CgroupFs fs = CgroupFs.Locate("auto", mountInfo, ProcCgroups());

        Assert.Equal("/sys/fs/cgroup", fs.MountPoint);
        Assert.Equal("/sys/fs/cgroup/kubepods/pod1", fs.ToDirectory("/kubepods/pod1"));
    }

    /// <summary>/proc/cgroups as this machine class has it: lines in subsystem-id order.</summary>
    private string ProcCgroups()
    {
        string path = Path.Combine(_dir, "cgroups");
        File.WriteAllLines(path,
        [
            "#subsys_name\thierarchy\tnum_cgroups\tenabled",
            "cpuset\t3\t4\t1", "cpu\t1\t4\t1", "cpuacct\t2\t4\t1", "blkio\t7\t4\t1", "memory\t4\t26\t1",
            "devices\t5\t4\t1", "freezer\t6\t4\t1", "net_cls\t0\t5\t1", "perf_event\t0\t5\t1",
            "net_prio\t0\t5\t1", "hugetlb\t0\t5\t1", "pids\t8\t4\t1",
        ]);
        return path;
    }

    private string Write(params string[] lines)
    {
        string path = Path.Combine(_dir, "mountinfo");
        File.WriteAllLines(path, lines);
        return path;
    }
}
