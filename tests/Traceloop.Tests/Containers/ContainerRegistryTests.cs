using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Containers;

public sealed class ContainerRegistryTests : IDisposable
{
    private readonly RegistryHarness _h = new(maxSlots: 4, spareRings: 2);

    public void Dispose() => _h.Dispose();

    [Fact]
    public void SpareRingsAreMadeAhead_AndQueuedForTheKernel()
    {
        Assert.Equal(2, _h.Kernel.Rings.Count);
        Assert.Equal(2, _h.Kernel.FreeSlots.Count);
    }

    [Fact]
    public void AContainerTheKernelAdoptsKeepsTheQueuedRing_AndTheQueueIsToppedUp()
    {
        uint queued = _h.Kernel.FreeSlots.Peek();
        FakeRing spare = _h.Kernel.Rings[queued];

        RecordedContainer c = _h.Start(RegistryHarness.PodUid(1), RegistryHarness.ContainerId(1));

        Assert.Equal(queued, c.Slot);
        Assert.Same(spare, c.Ring);
        Assert.Equal(RegistryHarness.PodUid(1), c.Identity.PodUid);
        Assert.Equal(2, _h.Kernel.FreeSlots.Count);
        Assert.Equal(3, _h.Kernel.Rings.Count);
        Assert.Single(_h.Registry.List());
    }

    [Fact]
    public void ACgroupNotNamedLikeAContainerIsDropped_AndItsSlotGoesBack()
    {
        string path = "/system.slice/cron.service";
        ulong id = _h.MakeCgroup(path);
        tl_control ctl = _h.Kernel.Mkdir(id);

        _h.Registry.OnControl(ctl, path);

        Assert.Empty(_h.Registry.List());
        Assert.False(_h.Kernel.Containers.ContainsKey(id));
        Assert.Equal(2, _h.Kernel.Rings.Count);
        Assert.Equal(2, _h.Kernel.FreeSlots.Count);
        Assert.Contains(ctl.slot, _h.Kernel.FreeSlots);
    }

    [Fact]
    public void AContainerStartedWhileTheQueueWasEmptyGetsARingLate()
    {
        _h.Kernel.FreeSlots.Clear();
        string path = RegistryHarness.PathOf(RegistryHarness.PodUid(2), RegistryHarness.ContainerId(2));
        ulong id = _h.MakeCgroup(path);

        _h.Registry.OnControl(_h.Kernel.Mkdir(id), path);

        RecordedContainer c = Assert.Single(_h.Registry.List());
        Assert.NotNull(c.Ring);
        Assert.Equal(c.Slot, _h.Kernel.Containers[id].slot);
        Assert.Same(c.Ring, _h.Kernel.Rings[c.Slot]);
    }

    [Fact]
    public void TheStartupScanAdoptsRunningContainers_AndNestedCgroupsShareTheirRing()
    {
        string path = RegistryHarness.PathOf(RegistryHarness.PodUid(3), RegistryHarness.ContainerId(3));
        ulong id = _h.MakeCgroup(path);
        ulong nested = _h.MakeCgroup(path + "/inner");
        _h.MakeCgroup("/system.slice/sshd.service");

        int adopted = _h.Registry.AdoptExisting();

        Assert.Equal(1, adopted);
        RecordedContainer c = Assert.Single(_h.Registry.List());
        Assert.Equal(id, c.CgroupId);
        Assert.Equal(c.Slot, _h.Kernel.Containers[id].slot);
        Assert.Equal(c.Slot, _h.Kernel.Containers[nested].slot);
        Assert.Equal(id, _h.Kernel.Containers[nested].parent);
        Assert.Equal(0, _h.Registry.AdoptExisting());
    }

    [Fact]
    public void TheStartupScanLeavesAContainerTheKernelAdoptedFirstToItsNotice()
    {
        string path = RegistryHarness.PathOf(RegistryHarness.PodUid(4), RegistryHarness.ContainerId(4));
        ulong id = _h.MakeCgroup(path);
        tl_control pending = _h.Kernel.Mkdir(id);
        int ringsBefore = _h.Kernel.Rings.Count;

        Assert.Equal(0, _h.Registry.AdoptExisting());
        Assert.Equal(ringsBefore, _h.Kernel.Rings.Count);

        _h.Registry.OnControl(pending, path);
        Assert.Single(_h.Registry.List());
    }

    [Fact]
    public void AnExcludedPodsContainersAreNotAdopted_AndReleasingThePodDropsTheRecordedOnes()
    {
        string excludedUid = RegistryHarness.PodUid(5);
        RecordedContainer kept = _h.Start(RegistryHarness.PodUid(6), RegistryHarness.ContainerId(6));
        RecordedContainer dropped = _h.Start(excludedUid, RegistryHarness.ContainerId(5));

        Assert.True(_h.Exclusions.Exclude(excludedUid));
        Assert.Equal(1, _h.Registry.ReleasePod(excludedUid));

        Assert.Equal([kept.Id], _h.Registry.List().Select(c => c.Id));
        Assert.False(_h.Kernel.Containers.ContainsKey(dropped.CgroupId));
        Assert.Contains("pod" + excludedUid, _h.Kernel.ExcludedPodCgroups);

        // A second container of the excluded pod whose notice raced the exclusion is refused too.
        string path = RegistryHarness.PathOf(excludedUid, RegistryHarness.ContainerId(7));
        ulong id = _h.MakeCgroup(path);
        _h.Registry.OnControl(_h.Kernel.Mkdir(id), path);
        Assert.Equal([kept.Id], _h.Registry.List().Select(c => c.Id));
        Assert.False(_h.Kernel.Containers.ContainsKey(id));
    }

    [Fact]
    public void AMainExitIsPublishedToSubscribers_WithItsStatus_AndStartsTheGracePeriod()
    {
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(8), RegistryHarness.ContainerId(8));
        ContainerEventSubscription late = _h.Events.Subscribe(4);

        _h.MainExit(c, pid: 4242, waitStatus: 3 << 8);

        Assert.True(_h.Notices.Reader.TryRead(out ContainerNotice first));
        Assert.True(late.Reader.TryRead(out ContainerNotice second));
        Assert.Equal(first, second);
        Assert.Equal(ControlKind.MainExit, first.Kind);
        Assert.Same(c, first.Container);
        Assert.Equal(4242, first.Pid);
        Assert.Equal(3 << 8, first.Status);
        Assert.Equal(_h.Time.GetUtcNow(), c.ExitedAt);
        Assert.Equal(3 << 8, c.ExitStatus);
    }

    [Fact]
    public void ASlowSubscriberDropsAndCountsItsOwnNotices_WithoutHoldingUpTheOthers()
    {
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(9), RegistryHarness.ContainerId(9));
        ContainerEventSubscription small = _h.Events.Subscribe(1);

        for (int i = 0; i < 5; i++)
        {
            _h.Registry.OnControl(new tl_control { kind = ControlKind.FatalSignal, cgroup_id = c.CgroupId, status = 11, pid = 7 }, c.CgroupPath);
        }

        Assert.Equal(4, small.TakeDropped());
        Assert.Equal(0, small.TakeDropped());
        Assert.Equal(0, _h.Notices.TakeDropped());
        int read = 0;
        while (_h.Notices.Reader.TryRead(out _))
        {
            read++;
        }
        Assert.Equal(5, read);
    }

    [Fact]
    public void TheSweepReleasesEndedContainersAfterTheGracePeriod_AndOnlyThen()
    {
        RecordedContainer ended = _h.Start(RegistryHarness.PodUid(10), RegistryHarness.ContainerId(10));
        RecordedContainer running = _h.Start(RegistryHarness.PodUid(11), RegistryHarness.ContainerId(11));
        var ring = (FakeRing)ended.Ring!;
        _h.MainExit(ended, pid: 1, waitStatus: 0);

        _h.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, _h.Registry.Sweep());
        _h.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, _h.Registry.Sweep());

        Assert.Equal([running.Id], _h.Registry.List().Select(c => c.Id));
        Assert.True(ring.Disposed);
        Assert.False(_h.Kernel.Containers.ContainsKey(ended.CgroupId));
        Assert.Null(ended.Ring);
    }

    [Fact]
    public void WhenSlotsRunOutTheOldestEndedContainerMakesRoomForTheNext()
    {
        using var h = new RegistryHarness(maxSlots: 2, spareRings: 1);
        RecordedContainer first = h.Start(RegistryHarness.PodUid(12), RegistryHarness.ContainerId(12));
        RecordedContainer second = h.Start(RegistryHarness.PodUid(13), RegistryHarness.ContainerId(13));
        h.MainExit(first, pid: 1, waitStatus: 0);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.MainExit(second, pid: 1, waitStatus: 0);

        RecordedContainer third = h.Start(RegistryHarness.PodUid(14), RegistryHarness.ContainerId(14));

        Assert.Null(h.Registry.Find(first.Id).Container);
        Assert.NotNull(h.Registry.Find(second.Id).Container);
        Assert.Same(third, h.Registry.Find(third.Id).Container);
    }

    [Fact]
    public void AnEndedContainerWhoseCrashNoticeStillWaits_IsNotEvicted_UntilTheNoticeIsHandled()
    {
        using var h = new RegistryHarness(maxSlots: 2, spareRings: 1);
        ContainerEventSubscription crashes = h.Events.Subscribe(16, holdsContainers: true);
        RecordedContainer crashed = h.Start(RegistryHarness.PodUid(30), RegistryHarness.ContainerId(30));
        RecordedContainer clean = h.Start(RegistryHarness.PodUid(31), RegistryHarness.ContainerId(31));
        var crashedRing = (FakeRing)crashed.Ring!;
        h.MainExit(crashed, pid: 1, waitStatus: 11);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.MainExit(clean, pid: 1, waitStatus: 0);
        Assert.True(crashes.Reader.TryRead(out ContainerNotice crashNotice));
        Assert.True(crashes.Reader.TryRead(out ContainerNotice cleanNotice));
        crashes.Handled(cleanNotice);
        Assert.Equal((1, 0), (crashed.AwaitedNotices, clean.AwaitedNotices));

        // No slot is left: the oldest ended container would go, but its crash is still to be saved.
        RecordedContainer third = h.Start(RegistryHarness.PodUid(32), RegistryHarness.ContainerId(32));

        Assert.Same(crashed, h.Registry.Find(crashed.Id).Container);
        Assert.Same(crashedRing, crashed.Ring);
        Assert.False(crashedRing.Disposed);
        Assert.Null(h.Registry.Find(clean.Id).Container);
        Assert.Null(third.Ring);

        // The evicted slot went to the queue; the next container takes it.
        RecordedContainer fourth = h.Start(RegistryHarness.PodUid(33), RegistryHarness.ContainerId(33));
        Assert.NotNull(fourth.Ring);

        // Once the collector is done with the crash, it is the one that goes.
        crashes.Handled(crashNotice);
        Assert.Equal(0, crashed.AwaitedNotices);
        h.Start(RegistryHarness.PodUid(36), RegistryHarness.ContainerId(36));
        Assert.Null(h.Registry.Find(crashed.Id).Container);
        Assert.True(crashedRing.Disposed);
    }

    [Fact]
    public void WhenSlotsRunOut_AnEndedContainerWithoutARingIsNotEvicted_ItWouldFreeNothing()
    {
        using var h = new RegistryHarness(maxSlots: 2, spareRings: 1);
        RecordedContainer first = h.Start(RegistryHarness.PodUid(37), RegistryHarness.ContainerId(37));
        RecordedContainer second = h.Start(RegistryHarness.PodUid(38), RegistryHarness.ContainerId(38));
        RecordedContainer ringless = h.Start(RegistryHarness.PodUid(39), RegistryHarness.ContainerId(39));
        Assert.Null(ringless.Ring);
        h.MainExit(ringless, pid: 1, waitStatus: 0);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.MainExit(first, pid: 1, waitStatus: 0);

        h.Start(RegistryHarness.PodUid(40), RegistryHarness.ContainerId(40));

        Assert.Same(ringless, h.Registry.Find(ringless.Id).Container);
        Assert.Null(h.Registry.Find(first.Id).Container);
        Assert.NotNull(second.Ring);
    }

    [Fact]
    public void TheSweepKeepsAnEndedContainerWhoseCrashNoticeStillWaits()
    {
        ContainerEventSubscription crashes = _h.Events.Subscribe(16, holdsContainers: true);
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(34), RegistryHarness.ContainerId(34));
        _h.MainExit(c, pid: 1, waitStatus: 11);

        _h.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, _h.Registry.Sweep());
        Assert.NotNull(c.Ring);

        Assert.True(crashes.Reader.TryRead(out ContainerNotice notice));
        crashes.Handled(notice);
        Assert.Equal(1, _h.Registry.Sweep());
        Assert.Null(c.Ring);
    }

    [Fact]
    public void ANoticeASubscriptionHadNoRoomFor_HoldsNothing()
    {
        ContainerEventSubscription crashes = _h.Events.Subscribe(1, holdsContainers: true);
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(35), RegistryHarness.ContainerId(35));

        for (int i = 0; i < 3; i++)
        {
            _h.Registry.OnControl(new tl_control { kind = ControlKind.FatalSignal, cgroup_id = c.CgroupId, status = 11, pid = 7 }, c.CgroupPath);
        }

        Assert.Equal(1, c.AwaitedNotices);
        Assert.Equal(2, crashes.DroppedTotal);
        Assert.True(crashes.Reader.TryRead(out ContainerNotice notice));
        crashes.Handled(notice);
        Assert.Equal(0, c.AwaitedNotices);
    }

    [Fact]
    public void RunningOutOfKernelMemoryForRingsIsSurvived_AndTheSpareIsMadeOnTheNextSweep()
    {
        _h.Kernel.FailRingCreation = true;
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(15), RegistryHarness.ContainerId(15));
        Assert.NotNull(c.Ring); // it took a ring that was made ahead
        Assert.Single(_h.Kernel.FreeSlots);

        Assert.Equal(0, _h.Registry.Sweep());
        Assert.Single(_h.Kernel.FreeSlots);

        _h.Kernel.FailRingCreation = false;
        _h.Registry.Sweep();
        Assert.Equal(2, _h.Kernel.FreeSlots.Count);
        Assert.Equal(3, _h.Kernel.Rings.Count);
    }

    [Fact]
    public void IdsAreFoundWholeOrByAnUnambiguousPrefix()
    {
        RecordedContainer a = _h.Start(RegistryHarness.PodUid(16), "abcd" + new string('1', 60));
        _h.Start(RegistryHarness.PodUid(17), "abce" + new string('2', 60));

        Assert.Same(a, _h.Registry.Find(a.Id).Container);
        Assert.Same(a, _h.Registry.Find("abcd").Container);
        LookupResult both = _h.Registry.Find("abc");
        Assert.True(both.Ambiguous);
        Assert.Null(both.Container);
        Assert.Equal(0, _h.Registry.Find("ffff").Matches);
    }

    [Fact]
    public void ReconcilingTakesOnContainersWhoseNoticeWasLost_FreesStaleEntries_AndEndsContainersWhoseCgroupWent()
    {
        // Every directory is made before any is removed: a new one could reuse a removed inode, and so its id.
        RecordedContainer gone = _h.Start(RegistryHarness.PodUid(22), RegistryHarness.ContainerId(22));
        // Lost "created": the kernel adopted it, the registry never heard.
        string lostPath = RegistryHarness.PathOf(RegistryHarness.PodUid(20), RegistryHarness.ContainerId(20));
        ulong lost = _h.MakeCgroup(lostPath);
        uint lostSlot = _h.Kernel.Mkdir(lost).slot;
        // Lost "created" and "removed": the kernel's entry outlived its cgroup, holding a slot.
        string stalePath = RegistryHarness.PathOf(RegistryHarness.PodUid(21), RegistryHarness.ContainerId(21));
        ulong stale = _h.MakeCgroup(stalePath);
        _h.Kernel.Mkdir(stale);
        Directory.Delete(_h.Cgroups.ToDirectory(stalePath));
        // Lost "removed": recorded, and its cgroup is gone.
        Directory.Delete(_h.Cgroups.ToDirectory(gone.CgroupPath));

        ReconcileResult result = _h.Registry.Reconcile();

        Assert.Equal(new ReconcileResult(Adopted: 1, Freed: 1, Ended: 1), result);
        RecordedContainer taken = Assert.Single(_h.Registry.List(), c => c.CgroupId == lost);
        Assert.Equal(lostSlot, taken.Slot);
        Assert.Same(_h.Kernel.Rings[lostSlot], taken.Ring);
        Assert.False(_h.Kernel.Containers.ContainsKey(stale));
        Assert.Equal(_h.Time.GetUtcNow(), gone.ExitedAt);
        // Every slot is accounted for: three rings in use or ended, two spares queued.
        Assert.Equal(2, _h.Kernel.FreeSlots.Count);
        Assert.Equal(_h.Kernel.Rings.Count, _h.Registry.List().Count(c => c.Ring is not null) + _h.Kernel.FreeSlots.Count);
        Assert.False(_h.Registry.Reconcile().Changed);
    }

    [Fact]
    public void ALostMainExitIsRecoveredFromTheRingsExitRecord_AndPublishedOnce()
    {
        // A pid above any pid_max: no such process exists, as after the main process ended.
        const uint gonePid = 0x3fff_fff0;
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(30), RegistryHarness.ContainerId(30));
        _h.Kernel.UpdateContainer(c.CgroupId, _h.Kernel.Containers[c.CgroupId] with { main_pid = gonePid });
        FakeRing ring = _h.Kernel.RingOf(c.CgroupId);
        ring.Builder.Enter(gonePid, gonePid, 39, 10);
        ring.Builder.ProcessExit(gonePid, gonePid, 11 | 0x80, isLeader: true, ts: 20);
        while (_h.Notices.Reader.TryRead(out _))
        {
        }

        ReconcileResult result = _h.Registry.Reconcile();

        Assert.Equal(1, result.ExitsRecovered);
        Assert.Equal(11 | 0x80, c.ExitStatus);
        Assert.Equal(_h.Time.GetUtcNow(), c.ExitedAt);
        Assert.True(_h.Notices.Reader.TryRead(out ContainerNotice notice));
        Assert.Equal((ControlKind.MainExit, 11 | 0x80, (int)gonePid, 20ul), (notice.Kind, notice.Status, notice.Pid, notice.Timestamp));
        // The kernel's own notice, had it only been late, is not a second death.
        _h.MainExit(c, (int)gonePid, 11 | 0x80);
        Assert.False(_h.Notices.Reader.TryRead(out _));
        Assert.False(_h.Registry.Reconcile().Changed);
    }

    [Fact]
    public void ALiveMainProcessIsNotTakenForDead()
    {
        RecordedContainer c = _h.Start(RegistryHarness.PodUid(31), RegistryHarness.ContainerId(31));
        uint self = (uint)Environment.ProcessId;
        _h.Kernel.UpdateContainer(c.CgroupId, _h.Kernel.Containers[c.CgroupId] with { main_pid = self });
        _h.Kernel.RingOf(c.CgroupId).Builder.ProcessExit(self, self, 0, isLeader: true, ts: 20);

        Assert.Equal(0, _h.Registry.Reconcile().ExitsRecovered);
        Assert.Null(c.ExitStatus);
    }

    [Fact]
    public void ALateRingKeepsTheEventsTheKernelCountedAsMissed()
    {
        using var h = new RegistryHarness(maxSlots: 4, spareRings: 1);
        h.Kernel.FreeSlots.Clear();
        string path = RegistryHarness.PathOf(RegistryHarness.PodUid(50), RegistryHarness.ContainerId(50));
        ulong id = h.MakeCgroup(path);
        tl_control notice = h.Kernel.Mkdir(id);
        Assert.Equal(RecordLayout.SlotPending, notice.slot);
        // What the kernel did while the container waited for a ring: its events counted, its main pid set.
        h.Kernel.Containers[id] = h.Kernel.Containers[id] with { missed = 17, main_pid = 4321 };

        h.Registry.OnControl(notice, path);

        RecordedContainer c = h.Registry.Find(RegistryHarness.ContainerId(50)).Container!;
        Assert.NotNull(c.Ring);
        Assert.Equal(RecordingOrigin.LateRing, c.Origin);
        Assert.Equal((c.Slot, 17ul, 4321u), (h.Kernel.Containers[id].slot, h.Kernel.Containers[id].missed, h.Kernel.Containers[id].main_pid));
    }
}
