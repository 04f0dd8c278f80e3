using Microsoft.Extensions.Logging;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// Every container the kernel records: adopted from the kernel's notifications and from a
/// scan of the cgroup tree at start, kept for a grace period after it ends, then released.
/// </summary>
internal sealed partial class ContainerRegistry : IDisposable
{
    private readonly Lock _gate = new();
    private readonly IRecordingKernel _kernel;
    private readonly RingPool _pool;
    private readonly CgroupFs _cgroups;
    private readonly PodExclusions _exclusions;
    private readonly PodCaptureLevels _levels;
    private readonly ContainerEvents _events;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly ILogger _logger;
    private readonly Dictionary<ulong, RecordedContainer> _byCgroup = [];
    private readonly string? _ownCgroup;

    /// <param name="grace">How long an ended container's history stays.</param>
    /// <param name="spareRings">Rings kept made ahead for the kernel to hand out at cgroup_mkdir.</param>
    public ContainerRegistry(IRecordingKernel kernel, CgroupFs cgroups, PodExclusions exclusions, PodCaptureLevels levels, ContainerEvents events,
        TimeSpan grace, int spareRings, TimeProvider time, ILogger<ContainerRegistry> logger)
    {
        _kernel = kernel;
        _cgroups = cgroups;
        _exclusions = exclusions;
        _levels = levels;
        _events = events;
        _grace = grace;
        _time = time;
        _logger = logger;
        _pool = new RingPool(kernel, spareRings);
        _ownCgroup = cgroups.CgroupOfProcess();
        lock (_gate)
        {
            if (kernel.Inherit() is { } inherited)
            {
                TakeOver(inherited);
            }
            // At start a failure is fatal: a recorder that cannot make one ring records nothing.
            _pool.Replenish();
        }
    }

    /// <summary>Containers whose history was taken over from a previous recorder at start.</summary>
    public int TakenOver { get; private set; }

    /// <summary>
    /// Takes over what a previous recorder left recording: each ring whose owner the kernel still
    /// routes to it becomes that container again, with its history, exit and origin; queued and
    /// handed-out rings stay spares for the notices still waiting in the control ring; any other
    /// ring (its owner's entry was released when the recorder died) is freed.
    /// </summary>
    private void TakeOver(KernelInheritance inherited)
    {
        var entries = _kernel.ListContainers().ToDictionary(e => e.CgroupId, e => e.Entry);
        var handedOut = new HashSet<uint>(entries.Values.Where(e => e.parent == 0).Select(e => e.slot));
        var queued = new HashSet<uint>(inherited.QueuedSpares);
        var inUse = new List<uint>();
        var spares = new Dictionary<uint, IContainerRing>();
        foreach ((uint slot, IContainerRing ring) in inherited.Rings)
        {
            if (inherited.Owners.TryGetValue(slot, out tl_slot_owner owner)
                && entries.TryGetValue(owner.cgroup_id, out tl_container entry) && entry.parent == 0 && entry.slot == slot
                && SlotOwner.ToContainer(owner, slot, entry.main_pid) is { } c)
            {
                c.Ring = ring;
                c.CaptureLevel = entry.level;
                foreach ((ulong nestedId, tl_container nested) in entries)
                {
                    if (nested.parent == owner.cgroup_id)
                    {
                        c.NestedCgroups.Add(nestedId);
                    }
                }
                _byCgroup[c.CgroupId] = c;
                inUse.Add(slot);
                continue;
            }
            if (queued.Contains(slot) || handedOut.Contains(slot))
            {
                // Queued for the kernel, or given to a container whose notice is still on its way.
                _kernel.SetSlotOwner(slot, default);
                spares[slot] = ring;
                continue;
            }
            _kernel.SetSlotOwner(slot, default);
            _kernel.UnpublishRing(slot);
            ring.Dispose();
        }
        _pool.Inherit(inUse, spares);
        TakenOver = inUse.Count;
        LogTakenOver(_logger, inUse.Count, spares.Count);
    }

    /// <summary>Writes what a restarted recorder needs to take this container over (its slot's owner record).</summary>
    private void RecordOwner(RecordedContainer c)
    {
        if (c.Ring is null || c.Slot == RecordLayout.SlotPending)
        {
            return;
        }
        tl_slot_owner owner = SlotOwner.Of(c);
        try
        {
            _kernel.SetSlotOwner(c.Slot, owner);
        }
        catch (BpfException e)
        {
            // Recording goes on; only a restart would lose track of this ring.
            LogOwnerFailed(_logger, c.Id, e.Message);
        }
    }

    public int RingSize => _pool.RingSize;

    /// <summary>Containers with an entry, ended ones in their grace period included.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byCgroup.Count;
            }
        }
    }

    private bool Excluded(ContainerIdentity identity) => identity.PodUid is { } uid && _exclusions.IsExcluded(uid);

    /// <summary>
    /// Brings every recorded container (and the cgroups nested in it) to the capture level its pod
    /// has now. A change applies to the syscalls from here on; what the ring already holds stays
    /// as it was recorded. Returns how many containers changed.
    /// </summary>
    public int ApplyCaptureLevels()
    {
        int changed = 0;
        lock (_gate)
        {
            foreach (RecordedContainer c in _byCgroup.Values)
            {
                CaptureLevel level = _levels.For(c.Identity.PodUid);
                if (level == c.CaptureLevel || c.ExitedAt is not null)
                {
                    continue;
                }
                c.CaptureLevel = level;
                SetKernelLevel(c.CgroupId, level);
                foreach (ulong nested in c.NestedCgroups)
                {
                    SetKernelLevel(nested, level);
                }
                LogCaptureLevel(_logger, c.Id, CaptureLevels.Format(level));
                changed++;
            }
        }
        return changed;
    }

    // Read, change, write: the kernel's entry also holds the missed count and the main pid.
    private void SetKernelLevel(ulong cgroupId, CaptureLevel level)
    {
        if (_kernel.TryGetContainer(cgroupId, out tl_container entry) && entry.level != level)
        {
            entry.level = level;
            try
            {
                _kernel.UpdateContainer(cgroupId, entry);
            }
            catch (BpfException)
            {
                // The cgroup went away meanwhile: nothing of it is recorded any more.
            }
        }
    }

    /// <summary>Stops recording a pod's containers and drops their history. Returns how many.</summary>
    public int ReleasePod(string podUid)
    {
        lock (_gate)
        {
            List<RecordedContainer> victims = [.. _byCgroup.Values.Where(c => c.Identity.PodUid == podUid)];
            foreach (RecordedContainer c in victims)
            {
                Release(c);
            }
            Replenish();
            return victims.Count;
        }
    }

    /// <summary>Adopts the containers that existed before the recorder started.</summary>
    public int AdoptExisting()
    {
        int adopted = 0;
        foreach (string path in _cgroups.Walk())
        {
            if (path == _ownCgroup)
            {
                continue;
            }
            ulong id;
            try
            {
                id = _cgroups.IdOf(path);
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }
            lock (_gate)
            {
                if (_byCgroup.ContainsKey(id))
                {
                    continue;
                }
                // Any cgroup inside a container records into its ring, whatever its name, as the
                // kernel does for the ones made while it runs. The walk gives parents first.
                RecordedContainer? parent = FindEnclosing(path);
                if (parent is not null)
                {
                    AddNested(parent, id);
                    continue;
                }
                if (!CgroupNaming.TryParse(path, out ContainerIdentity? identity) || Excluded(identity))
                {
                    continue;
                }
                if (TryAllocate() is not (uint slot, IContainerRing ring))
                {
                    LogNoSlot(_logger, identity.Id, _kernel.MaxSlots);
                    continue;
                }
                CaptureLevel level = _levels.For(identity.PodUid);
                if (!_kernel.TryAddContainer(id, new tl_container { slot = slot, level = level }))
                {
                    // The kernel adopted it first; its notification is on the way.
                    _pool.Release(slot, ring);
                    continue;
                }
                DateTimeOffset now = _time.GetUtcNow();
                // It ran before the recorder did: what it did until now was never recorded.
                var container = new RecordedContainer(id, path, identity, now, RecordingOrigin.Adopted, now) { Slot = slot, Ring = ring, CaptureLevel = level };
                // Its exec happened before we attached: find the main process so its exit is noticed.
                if (MainProcess.Find(_cgroups.ToDirectory(path)) is { } main)
                {
                    container.MainPid = main;
                    _kernel.UpdateContainer(id, new tl_container { slot = slot, main_pid = (uint)main, level = level });
                }
                _byCgroup[id] = container;
                RecordOwner(container);
                adopted++;
            }
        }
        return adopted;
    }

    /// <summary>Handles one kernel notification.</summary>
    public void OnControl(in tl_control ctl, string path)
    {
        lock (_gate)
        {
            switch (ctl.kind)
            {
                case ControlKind.CgroupNew:
                    OnCgroupNew(ctl, path);
                    break;
                case ControlKind.MainExit:
                    // ExitStatus already set: a reconciliation found the exit in the ring first.
                    if (_byCgroup.TryGetValue(ctl.cgroup_id, out RecordedContainer? ended) && ended.ExitStatus is null)
                    {
                        ended.ExitedAt ??= _time.GetUtcNow();
                        ended.ExitStatus = ctl.status;
                        ended.MainPid ??= (int)ctl.pid;
                        RecordOwner(ended);
                        LogMainExit(_logger, ended.Id, (int)ctl.pid, ctl.status);
                        Notice(ended, ctl);
                    }
                    break;
                case ControlKind.OomVictim or ControlKind.FatalSignal or ControlKind.SyscallError:
                    if (_byCgroup.TryGetValue(ctl.cgroup_id, out RecordedContainer? troubled))
                    {
                        Notice(troubled, ctl);
                    }
                    break;
                case ControlKind.CgroupGone:
                    if (_byCgroup.TryGetValue(ctl.cgroup_id, out RecordedContainer? gone) && gone.CgroupId == ctl.cgroup_id)
                    {
                        gone.ExitedAt ??= _time.GetUtcNow();
                        RecordOwner(gone);
                        LogContainerGone(_logger, gone.Id);
                    }
                    break;
            }
            Replenish();
        }
    }

    private void Notice(RecordedContainer c, in tl_control ctl) =>
        _events.Publish(new ContainerNotice(c, ctl.kind, ctl.status, (int)ctl.pid, (int)ctl.tid, ctl.nr, ctl.ts));

    /// <summary>
    /// Tops up the spare rings. Running out of kernel memory for rings is logged and retried on the
    /// next notice or sweep: recording goes on for the containers that have a ring.
    /// </summary>
    private void Replenish()
    {
        try
        {
            _pool.Replenish();
        }
        catch (BpfException e)
        {
            LogReplenishFailed(_logger, e.Message);
        }
    }

    private void OnCgroupNew(in tl_control ctl, string path)
    {
        if (ctl.parent_id != 0)
        {
            if (_byCgroup.TryGetValue(ctl.parent_id, out RecordedContainer? parent))
            {
                AddNested(parent, ctl.cgroup_id);
            }
            return;
        }
        if (_byCgroup.ContainsKey(ctl.cgroup_id) || !_kernel.TryGetContainer(ctl.cgroup_id, out _))
        {
            // Stale: a reconciliation already took it on, or found its cgroup gone and freed the
            // entry, while this notice waited in the control ring.
            return;
        }
        IContainerRing? ring = ctl.slot == RecordLayout.SlotPending ? null : _pool.ClaimSpare(ctl.slot);
        if (path == _ownCgroup || !CgroupNaming.TryParse(path, out ContainerIdentity? identity) || Excluded(identity))
        {
            // Not a container after all, ourselves, or left out by the selection: give the slot back.
            _kernel.RemoveContainer(ctl.cgroup_id);
            if (ring is not null)
            {
                _pool.Release(ctl.slot, ring);
            }
            return;
        }
        var container = new RecordedContainer(ctl.cgroup_id, path, identity, _time.GetUtcNow());
        // The kernel gave it a level at cgroup_mkdir; one decided since (its pod became known) wins.
        container.CaptureLevel = _levels.For(identity.PodUid);
        SetKernelLevel(ctl.cgroup_id, container.CaptureLevel);
        if (ring is not null)
        {
            container.Slot = ctl.slot;
            container.Ring = ring;
        }
        else if (TryAllocate() is (uint slot, IContainerRing fresh))
        {
            // The kernel's queue was empty: events until now are counted as missed.
            container.Slot = slot;
            container.Ring = fresh;
            container.Origin = RecordingOrigin.LateRing;
            container.RecordingSince = _time.GetUtcNow();
            // Read back, not rebuilt: the kernel counted the missed events (and may know the main pid) meanwhile.
            tl_container entry = _kernel.TryGetContainer(ctl.cgroup_id, out tl_container current) ? current : default;
            entry.slot = slot;
            _kernel.UpdateContainer(ctl.cgroup_id, entry);
            LogLateRing(_logger, identity.Id);
        }
        else
        {
            // The freed slot goes to the queue, for the next container: this one may well be
            // over already (its notice waited), and a ring now would hold nothing of it.
            EvictOldestExited();
            LogNoSlot(_logger, identity.Id, _kernel.MaxSlots);
        }
        _byCgroup[ctl.cgroup_id] = container;
        RecordOwner(container);
        LogContainerNew(_logger, identity.Id, path, container.Slot);
    }

    private (uint Slot, IContainerRing Ring)? TryAllocate()
    {
        try
        {
            return _pool.Allocate();
        }
        catch (BpfException e)
        {
            LogReplenishFailed(_logger, e.Message);
            return null;
        }
    }

    private void AddNested(RecordedContainer parent, ulong id)
    {
        if (parent.NestedCgroups.Contains(id))
        {
            return;
        }
        parent.NestedCgroups.Add(id);
        // The kernel makes the entry itself for cgroups created while it runs; this covers
        // the ones found by the startup scan.
        _kernel.TryAddContainer(id, new tl_container { slot = parent.Slot, parent = parent.CgroupId, level = parent.CaptureLevel });
    }

    private RecordedContainer? FindEnclosing(string path)
    {
        foreach (RecordedContainer c in _byCgroup.Values)
        {
            if (path.StartsWith(c.CgroupPath + "/", StringComparison.Ordinal))
            {
                return c;
            }
        }
        return null;
    }

    /// <summary>Releases containers whose grace period is over and whose crash notices were handled. Returns how many.</summary>
    public int Sweep()
    {
        DateTimeOffset now = _time.GetUtcNow();
        int released = 0;
        lock (_gate)
        {
            foreach (RecordedContainer c in _byCgroup.Values.ToList())
            {
                if (c.ExitedAt is { } exited && now - exited >= _grace && c.AwaitedNotices == 0)
                {
                    Release(c);
                    released++;
                }
            }
            Replenish();
        }
        return released;
    }

    /// <summary>
    /// Brings the registry to the kernel's truth after notices were lost (the control ring was
    /// full, or the recorder was behind): a container the kernel adopted that the registry never
    /// heard of is taken on with the ring the kernel gave it; an entry whose cgroup is gone and
    /// that the registry never knew is removed and its slot freed; a recorded container whose
    /// cgroup is gone starts its grace period. Walks the cgroup tree once.
    /// </summary>
    public ReconcileResult Reconcile()
    {
        var present = new Dictionary<ulong, string>();
        foreach (string path in _cgroups.Walk())
        {
            try
            {
                present[_cgroups.IdOf(path)] = path;
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }
        int adopted = 0, freed = 0, ended = 0;
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            var nested = new HashSet<ulong>(_byCgroup.Values.SelectMany(c => c.NestedCgroups));
            foreach ((ulong id, tl_container entry) in _kernel.ListContainers())
            {
                if (_byCgroup.ContainsKey(id) || nested.Contains(id))
                {
                    continue;
                }
                if (!present.TryGetValue(id, out string? path))
                {
                    _kernel.RemoveContainer(id);
                    if (entry.parent == 0 && entry.slot != RecordLayout.SlotPending && _pool.ClaimSpare(entry.slot) is { } ring)
                    {
                        _pool.Release(entry.slot, ring);
                    }
                    freed++;
                }
                else if (entry.parent != 0)
                {
                    if (_byCgroup.TryGetValue(entry.parent, out RecordedContainer? parent))
                    {
                        parent.NestedCgroups.Add(id);
                    }
                }
                else
                {
                    OnCgroupNew(new tl_control { kind = ControlKind.CgroupNew, cgroup_id = id, slot = entry.slot }, path);
                    adopted += _byCgroup.ContainsKey(id) ? 1 : 0;
                }
            }
            int exits = 0;
            foreach (RecordedContainer c in _byCgroup.Values)
            {
                if (RecoverMainExit(c, now))
                {
                    exits++;
                }
                if (c.ExitedAt is null && !present.ContainsKey(c.CgroupId))
                {
                    c.ExitedAt = now;
                    RecordOwner(c);
                    ended++;
                }
            }
            Replenish();
            var result = new ReconcileResult(adopted, freed, ended, exits);
            if (result.Changed)
            {
                LogReconciled(_logger, adopted, freed, ended, exits);
            }
            return result;
        }
    }

    /// <summary>
    /// A main process that is gone without its MAIN_EXIT notice (dropped from a full control ring)
    /// is found by its pid, and its end read from the ring's own process-exit record; the notice
    /// the kernel would have sent is published, so crash collection still sees the death. Only a
    /// vanished pid costs a snapshot.
    /// </summary>
    private bool RecoverMainExit(RecordedContainer c, DateTimeOffset now)
    {
        if (c.ExitStatus is not null || c.Ring is not { } ring)
        {
            return false;
        }
        uint main = _kernel.TryGetContainer(c.CgroupId, out tl_container entry) && entry.main_pid != 0 ? entry.main_pid : (uint)(c.MainPid ?? 0);
        if (main == 0 || MainProcess.IsAlive((int)main))
        {
            return false;
        }
        if (MainExitInRing(ring, main) is not (int status, ulong ts))
        {
            return false;
        }
        c.ExitedAt ??= now;
        c.ExitStatus = status;
        c.MainPid ??= (int)main;
        RecordOwner(c);
        LogMainExitRecovered(_logger, c.Id, (int)main, status);
        Notice(c, new tl_control { kind = ControlKind.MainExit, cgroup_id = c.CgroupId, status = status, pid = main, tid = main, ts = ts });
        return true;
    }

    private static (int Status, ulong Timestamp)? MainExitInRing(IContainerRing ring, uint pid)
    {
        try
        {
            using RingSnapshot snapshot = ring.Snapshot();
            for (int i = snapshot.Records.Count - 1; i >= 0; i--)
            {
                RecordRef r = snapshot.Records[i];
                if (r.Kind != RecordKind.ProcessExit)
                {
                    continue;
                }
                tl_proc_exit x = System.Runtime.InteropServices.MemoryMarshal.Read<tl_proc_exit>(snapshot.RecordBytes(r));
                if (x.h.pid == pid && x.is_leader != 0)
                {
                    return (x.exit_code, x.h.ts);
                }
            }
        }
        catch (Exception e) when (e is CorruptRingException or BpfException or ObjectDisposedException)
        {
        }
        return null;
    }

    /// <summary>When slots run out, an ended container's history goes before a live one goes unrecorded.</summary>
    private void EvictOldestExited()
    {
        // One with a ring (evicting a ringless one frees no slot), and not one whose crash notice
        // still waits for its dump: that history is what it is kept for.
        RecordedContainer? oldest = _byCgroup.Values.Where(c => c.ExitedAt is not null && c.Ring is not null && c.AwaitedNotices == 0).MinBy(c => c.ExitedAt);
        if (oldest is not null)
        {
            LogEvicted(_logger, oldest.Id);
            Release(oldest);
        }
    }

    private void Release(RecordedContainer c)
    {
        _byCgroup.Remove(c.CgroupId);
        _kernel.RemoveContainer(c.CgroupId);
        foreach (ulong nested in c.NestedCgroups)
        {
            _kernel.RemoveContainer(nested);
        }
        if (c.Ring is { } ring)
        {
            _kernel.SetSlotOwner(c.Slot, default);
            _pool.Release(c.Slot, ring);
            c.Ring = null;
        }
        LogReleased(_logger, c.Id);
    }

    public List<RecordedContainer> List()
    {
        lock (_gate)
        {
            return [.. _byCgroup.Values.OrderBy(c => c.FirstSeen).ThenBy(c => c.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>Finds a container by full id or unambiguous prefix.</summary>
    public LookupResult Find(string idOrPrefix)
    {
        lock (_gate)
        {
            RecordedContainer? match = null;
            foreach (RecordedContainer c in _byCgroup.Values)
            {
                if (c.Id == idOrPrefix)
                {
                    return new LookupResult(c, 1);
                }
                if (c.Id.StartsWith(idOrPrefix, StringComparison.Ordinal))
                {
                    if (match is not null)
                    {
                        return new LookupResult(null, 2);
                    }
                    match = c;
                }
            }
            return new LookupResult(match, match is null ? 0 : 1);
        }
    }

    /// <summary>The kernel's view of a container: main pid, and events missed for want of a ring.</summary>
    public tl_container KernelState(RecordedContainer c) =>
        _kernel.TryGetContainer(c.CgroupId, out tl_container value) ? value : default;

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (RecordedContainer c in _byCgroup.Values)
            {
                c.Ring?.Dispose();
            }
            _byCgroup.Clear();
            _pool.Dispose();
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Recording container {Id} ({Path}) in slot {Slot}")]
    private static partial void LogContainerNew(ILogger logger, string id, string path, uint slot);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Container {Id} ended; its history stays dumpable for the grace period")]
    private static partial void LogContainerGone(ILogger logger, string id);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Container {Id}: main process {Pid} ended with wait status {Status}")]
    private static partial void LogMainExit(ILogger logger, string id, int pid, int status);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Released the ring of container {Id}")]
    private static partial void LogReleased(ILogger logger, string id);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "No ring left for container {Id}: all {MaxSlots} slots are in use; raise --max-containers")]
    private static partial void LogNoSlot(ILogger logger, string id, int maxSlots);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Container {Id} started while no spare ring was queued; its first events were missed (counted as lost)")]
    private static partial void LogLateRing(ILogger logger, string id);

    [LoggerMessage(EventId = 207, Level = LogLevel.Error, Message = "Could not make a spare ring ({Reason}); new containers wait for one, and it is tried again within a second")]
    private static partial void LogReplenishFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Reconciled with the kernel after lost notices: {Adopted} containers taken on, {Freed} stale entries freed, {Ended} containers found ended, {Exits} main-process exits recovered from the rings")]
    private static partial void LogReconciled(ILogger logger, int adopted, int freed, int ended, int exits);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "Container {Id}: main process {Pid} ended with wait status {Status}; its notice was lost, the ring's exit record told")]
    private static partial void LogMainExitRecovered(ILogger logger, string id, int pid, int status);

    [LoggerMessage(EventId = 209, Level = LogLevel.Information, Message = "Took over {Containers} recorded containers with their history, and {Spares} spare rings, from the previous recorder")]
    private static partial void LogTakenOver(ILogger logger, int containers, int spares);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Could not record the owner of container {Id}'s ring ({Reason}); a restarted recorder would not find its history")]
    private static partial void LogOwnerFailed(ILogger logger, string id, string reason);

    [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "Container {Id} is now recorded at capture level {Level}")]
    private static partial void LogCaptureLevel(ILogger logger, string id, string level);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Out of ring slots: released ended container {Id} before its grace period")]
    private static partial void LogEvicted(ILogger logger, string id);
}

/// <summary>What a reconciliation changed: containers taken on, entries freed, containers found ended, main exits recovered.</summary>
internal readonly record struct ReconcileResult(int Adopted, int Freed, int Ended, int ExitsRecovered = 0)
{
    public bool Changed => Adopted + Freed + Ended + ExitsRecovered > 0;
}

internal readonly record struct LookupResult(RecordedContainer? Container, int Matches)
{
    public bool Ambiguous => Matches > 1;
}
