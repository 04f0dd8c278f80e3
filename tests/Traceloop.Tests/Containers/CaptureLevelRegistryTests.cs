using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;

namespace Traceloop.Tests.Containers;

/// <summary>
/// The kernel's capture_levels map and the containers' entries agree with <see cref="PodCaptureLevels"/>:
/// the kernel gives a new container its pod's level at cgroup_mkdir, a level decided later reaches
/// the running container's entry, and the registry's own registrations carry it too.
/// </summary>
public sealed class CaptureLevelRegistryTests
{
    private static readonly CaptureLevel Strict = CaptureLevel.NoPayload | CaptureLevel.NoArgv;

    [Fact]
    public void APodsLevel_IsInTheKernelUnderEveryCgroupNameOfThePod_AndTheDefaultUnderTheEmptyName()
    {
        using var h = new RegistryHarness();
        string uid = RegistryHarness.PodUid(1);
        h.Levels.SetDefault(CaptureLevel.NoArgv);
        Assert.True(h.Levels.Set(uid, Strict));
        Assert.False(h.Levels.Set(uid, Strict));

        Assert.Equal(CaptureLevel.NoArgv, h.Kernel.CaptureLevels[""]);
        Assert.Equal(Strict, h.Kernel.CaptureLevels[$"pod{uid}"]);
        Assert.Equal(Strict, h.Kernel.CaptureLevels[$"kubepods-besteffort-pod{uid.Replace('-', '_')}.slice"]);
        Assert.Equal(4, h.Kernel.CaptureLevels.Keys.Count(k => k.Length > 0));

        h.Levels.Remove(uid);
        Assert.Equal([""], h.Kernel.CaptureLevels.Keys);
        Assert.Equal(CaptureLevel.NoArgv, h.Levels.For(uid));
    }

    [Fact]
    public void ANewContainer_GetsItsPodsLevelFromTheKernel_AndTheListingSaysSo()
    {
        using var h = new RegistryHarness();
        string uid = RegistryHarness.PodUid(2);
        h.Levels.Set(uid, Strict);

        RecordedContainer c = h.Start(uid, RegistryHarness.ContainerId(2));
        RecordedContainer other = h.Start(RegistryHarness.PodUid(3), RegistryHarness.ContainerId(3));

        Assert.Equal(Strict, h.Kernel.Containers[c.CgroupId].level);
        Assert.Equal(Strict, c.CaptureLevel);
        Assert.Equal(CaptureLevel.Full, h.Kernel.Containers[other.CgroupId].level);
    }

    [Fact]
    public void ALevelDecidedAfterTheContainerStarted_ReachesItsKernelEntry_KeepingTheRestOfTheEntry()
    {
        using var h = new RegistryHarness();
        string uid = RegistryHarness.PodUid(4);
        RecordedContainer c = h.Start(uid, RegistryHarness.ContainerId(4));
        ulong nested = h.MakeCgroup(c.CgroupPath + "/inner");
        h.Registry.OnControl(h.Kernel.Mkdir(nested, parentId: c.CgroupId), c.CgroupPath + "/inner");
        tl_container before = h.Kernel.Containers[c.CgroupId];
        before.main_pid = 4242;
        before.missed = 7;
        h.Kernel.Containers[c.CgroupId] = before;

        h.Levels.Set(uid, CaptureLevel.NoPayload);
        Assert.Equal(1, h.Registry.ApplyCaptureLevels());
        Assert.Equal(0, h.Registry.ApplyCaptureLevels());

        tl_container after = h.Kernel.Containers[c.CgroupId];
        Assert.Equal(CaptureLevel.NoPayload, after.level);
        Assert.Equal(4242u, after.main_pid);
        Assert.Equal(7ul, after.missed);
        Assert.Equal(before.slot, after.slot);
        Assert.Equal(CaptureLevel.NoPayload, h.Kernel.Containers[nested].level);
        Assert.Equal(CaptureLevel.NoPayload, c.CaptureLevel);
    }

    [Fact]
    public void AContainerAdoptedAtStart_IsRegisteredWithItsPodsLevel()
    {
        using var h = new RegistryHarness();
        string uid = RegistryHarness.PodUid(5);
        h.Levels.Set(uid, CaptureLevel.NoArgv);
        ulong id = h.MakeCgroup(RegistryHarness.PathOf(uid, RegistryHarness.ContainerId(5)));

        Assert.Equal(1, h.Registry.AdoptExisting());
        Assert.Equal(CaptureLevel.NoArgv, h.Kernel.Containers[id].level);
    }
}
