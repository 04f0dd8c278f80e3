using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Containers;

/// <summary>
/// A restarted recorder takes over the kernel state its predecessor left pinned (FakeKernel plays
/// the pinned maps and rings): containers keep their rings, history, exit and origin; notices
/// queued while it was down still work; rings nobody owns are freed.
/// </summary>
public sealed class RegistryTakeoverTests : IDisposable
{
    private readonly RegistryHarness _h = new(maxSlots: 6, spareRings: 2);

    [Fact]
    public void ARunningContainerKeepsItsRingAndHistory()
    {
        RecordedContainer before = _h.Start(RegistryHarness.PodUid(1), RegistryHarness.ContainerId(1));
        FakeRing ring = _h.Kernel.RingOf(before.CgroupId);
        ring.Builder.Enter(5, 5, 110, 10);
        ring.Builder.Enter(5, 5, 110, 12);
        int created = _h.Kernel.RingsCreated;
        _h.Time.Advance(TimeSpan.FromSeconds(30));

        ContainerRegistry after = _h.Restart();

        RecordedContainer taken = Assert.Single(after.List());
        Assert.Equal(before.Id, taken.Id);
        Assert.Equal(before.CgroupId, taken.CgroupId);
        Assert.Equal(before.CgroupPath, taken.CgroupPath);
        Assert.Equal(before.Slot, taken.Slot);
        Assert.Same(ring, taken.Ring);
        Assert.Equal(before.FirstSeen, taken.FirstSeen);
        Assert.Equal(RecordingOrigin.FirstSyscall, taken.Origin);
        Assert.Null(taken.ExitedAt);
        Assert.Equal(1, after.TakenOver);
        // Its records are the same ones, with the same sequence numbers: nothing was copied or re-made.
        Assert.Equal([0ul, 1ul], taken.Ring!.Snapshot().Records.Select(r => r.Sequence));
        Assert.Equal(created, _h.Kernel.RingsCreated);
        Assert.Equal(before.Slot, _h.Kernel.Containers[before.CgroupId].slot);
    }

    [Fact]
    public void AnEndedContainerKeepsItsExitAndItsGracePeriodRunsFromTheRealExit()
    {
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(2), RegistryHarness.ContainerId(2));
        _h.MainExit(c, pid: 4321, waitStatus: 11 | 0x80);
        DateTimeOffset exited = c.ExitedAt!.Value;
        _h.Time.Advance(TimeSpan.FromMinutes(6));

        ContainerRegistry after = _h.Restart(grace: TimeSpan.FromMinutes(10));

        RecordedContainer taken = Assert.Single(after.List());
        Assert.Equal(exited, taken.ExitedAt);
        Assert.Equal(11 | 0x80, taken.ExitStatus);
        Assert.Equal(4321, taken.MainPid);
        Assert.Equal(0, after.Sweep());
        _h.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(1, after.Sweep());
        Assert.Empty(_h.Kernel.Owners);
    }

    [Fact]
    public void AContainerMadeWhileNoRecorderRanIsRecordedFromItsFirstSyscall()
    {
        _h.Start(RegistryHarness.PodUid(3), RegistryHarness.ContainerId(3));
        // The recorder is down: the kernel adopts a new container with a queued ring, and its notice waits.
        string path = RegistryHarness.PathOf(RegistryHarness.PodUid(4), RegistryHarness.ContainerId(4));
        ulong id = _h.MakeCgroup(path);
        tl_control notice = _h.Kernel.Mkdir(id);
        Assert.NotEqual(RecordLayout.SlotPending, notice.slot);
        _h.Kernel.RingOf(id).Builder.Enter(9, 9, 39, 10);

        ContainerRegistry after = _h.Restart();
        after.OnControl(notice, path);

        RecordedContainer late = after.Find(RegistryHarness.ContainerId(4)).Container!;
        Assert.Equal(notice.slot, late.Slot);
        Assert.Equal(RecordingOrigin.FirstSyscall, late.Origin);
        Assert.Single(late.Ring!.Snapshot().Records);
        Assert.Equal(2, after.List().Count);
    }

    [Fact]
    public void ARingNobodyOwnsIsFreed()
    {
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(5), RegistryHarness.ContainerId(5));
        // The old recorder released the container's entry and died before freeing the ring.
        _h.Kernel.Containers.Remove(c.CgroupId);
        FakeRing orphan = _h.Kernel.Rings[c.Slot];

        ContainerRegistry after = _h.Restart();

        Assert.Empty(after.List());
        Assert.True(orphan.Disposed);
        Assert.False(_h.Kernel.Rings.TryGetValue(c.Slot, out FakeRing? still) && ReferenceEquals(still, orphan));
        Assert.False(_h.Kernel.Owners.ContainsKey(c.Slot));
    }

    [Fact]
    public void QueuedSparesStayQueuedAndNoSlotIsGivenTwice()
    {
        _h.Start(RegistryHarness.PodUid(6), RegistryHarness.ContainerId(6));
        uint[] queued = [.. _h.Kernel.FreeSlots];

        ContainerRegistry after = _h.Restart();
        for (int n = 7; n < 10; n++)
        {
            _h.Start(RegistryHarness.PodUid(n), RegistryHarness.ContainerId(n));
        }

        Assert.Equal(4, after.List().Count);
        uint[] slots = [.. after.List().Select(c => c.Slot)];
        Assert.Equal(slots.Length, slots.Distinct().Count());
        Assert.Contains(queued[0], slots);
        // Every published ring is a container's or queued: none leaked.
        Assert.Equal(_h.Kernel.Rings.Keys.Order(), slots.Concat(_h.Kernel.FreeSlots).Order());
    }

    [Fact]
    public void AContainerFoundRunningWithoutPinnedStateSaysItsHistoryBeganLate()
    {
        string path = RegistryHarness.PathOf(RegistryHarness.PodUid(11), RegistryHarness.ContainerId(11));
        _h.MakeCgroup(path);
        _h.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, _h.Registry.AdoptExisting());

        RecordedContainer c = Assert.Single(_h.Registry.List());
        Assert.Equal(RecordingOrigin.Adopted, c.Origin);
        Assert.Equal(_h.Time.GetUtcNow(), c.RecordingSince);
        // And a restart keeps saying so.
        RecordedContainer taken = Assert.Single(_h.Restart().List());
        Assert.Equal(RecordingOrigin.Adopted, taken.Origin);
        Assert.Equal(c.RecordingSince, taken.RecordingSince);
    }

    public void Dispose() => _h.Dispose();
}
