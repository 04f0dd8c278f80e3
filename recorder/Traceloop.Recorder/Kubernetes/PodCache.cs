using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// This node's pods as the API server last described them, indexed by pod uid and by container
/// id. Written by the <see cref="PodWatcher"/> only; read from any thread.
/// </summary>
internal sealed class PodCache(ILogger<PodCache>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<PodCache>.Instance;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PodInfo> _byUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (PodInfo Pod, ContainerMeta Container)> _byContainerId = new(StringComparer.Ordinal);

    /// <summary>
    /// Raised after each change, in the order the changes were made, on the watcher's task.
    /// A handler must be quick (it delays the next event) and must not throw (an exception is
    /// logged and dropped). A container first seen by the kernel before its pod arrived can be
    /// named here, and selection re-applied.
    /// </summary>
    public event Action<PodChange>? Changed;

    /// <summary>This node's name in the cluster (--node-name or NODE_NAME), when one is configured.</summary>
    public string? NodeName { get; set; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byUid.Count;
            }
        }
    }

    /// <summary>A snapshot: later changes do not show in it.</summary>
    public IReadOnlyList<PodInfo> Pods
    {
        get
        {
            lock (_gate)
            {
                return [.. _byUid.Values];
            }
        }
    }

    public bool TryGetByPodUid(string uid, [NotNullWhen(true)] out PodInfo? pod)
    {
        lock (_gate)
        {
            return _byUid.TryGetValue(uid, out pod);
        }
    }

    /// <summary>
    /// The pod and container of a container id, with or without its runtime prefix. The id of a
    /// container's previous instance (before a restart) finds the container too: its ended
    /// instance stays recorded for the grace period.
    /// </summary>
    public bool TryGetByContainerId(string containerId, [NotNullWhen(true)] out PodInfo? pod, [NotNullWhen(true)] out ContainerMeta? container)
    {
        pod = null;
        container = null;
        if (ContainerIds.Normalize(containerId) is not { } id)
        {
            return false;
        }
        lock (_gate)
        {
            if (!_byContainerId.TryGetValue(id, out var found))
            {
                return false;
            }
            (pod, container) = found;
            return true;
        }
    }

    /// <summary>Adds or replaces a pod (by uid).</summary>
    public void Upsert(PodInfo pod)
    {
        PodInfo? previous;
        lock (_gate)
        {
            previous = SetLocked(pod);
        }
        Raise(previous is null ? new PodChange(PodChangeKind.Added, pod, null) : new PodChange(PodChangeKind.Updated, pod, previous));
    }

    public bool Remove(string uid)
    {
        PodInfo? previous;
        lock (_gate)
        {
            previous = RemoveLocked(uid);
        }
        if (previous is null)
        {
            return false;
        }
        Raise(new PodChange(PodChangeKind.Removed, previous, previous));
        return true;
    }

    /// <summary>
    /// Makes the cache hold exactly <paramref name="pods"/> (a fresh list) in one step: readers
    /// never see it empty or half-done. Pods that vanished are reported removed, new ones added
    /// and pods whose resource version moved updated.
    /// </summary>
    public void ReplaceAll(IReadOnlyCollection<PodInfo> pods)
    {
        var changes = new List<PodChange>();
        lock (_gate)
        {
            var keep = new HashSet<string>(pods.Select(p => p.Uid), StringComparer.Ordinal);
            foreach (string uid in _byUid.Keys.Where(uid => !keep.Contains(uid)).ToList())
            {
                PodInfo gone = RemoveLocked(uid)!;
                changes.Add(new PodChange(PodChangeKind.Removed, gone, gone));
            }
            foreach (PodInfo pod in pods)
            {
                if (_byUid.TryGetValue(pod.Uid, out PodInfo? old) && old.ResourceVersion == pod.ResourceVersion)
                {
                    continue;
                }
                PodInfo? previous = SetLocked(pod);
                changes.Add(previous is null ? new PodChange(PodChangeKind.Added, pod, null) : new PodChange(PodChangeKind.Updated, pod, previous));
            }
        }
        foreach (PodChange change in changes)
        {
            Raise(change);
        }
    }

    private PodInfo? SetLocked(PodInfo pod)
    {
        PodInfo? previous = RemoveLocked(pod.Uid);
        _byUid[pod.Uid] = pod;
        foreach (ContainerMeta c in pod.Containers)
        {
            // The previous instance first, so a current id always wins a (theoretical) clash.
            if (c.LastTerminated?.ContainerId is { } lastId)
            {
                _byContainerId[lastId] = (pod, c);
            }
            if (c.ContainerId is { } id)
            {
                _byContainerId[id] = (pod, c);
            }
        }
        return previous;
    }

    private PodInfo? RemoveLocked(string uid)
    {
        if (!_byUid.Remove(uid, out PodInfo? old))
        {
            return null;
        }
        foreach (ContainerMeta c in old.Containers)
        {
            RemoveIdLocked(c.ContainerId, uid);
            RemoveIdLocked(c.LastTerminated?.ContainerId, uid);
        }
        return old;
    }

    private void RemoveIdLocked(string? id, string uid)
    {
        if (id is not null && _byContainerId.TryGetValue(id, out var entry) && entry.Pod.Uid == uid)
        {
            _byContainerId.Remove(id);
        }
    }

    private void Raise(PodChange change)
    {
        if (Changed is not { } handlers)
        {
            return;
        }
        foreach (Action<PodChange> handler in handlers.GetInvocationList().Cast<Action<PodChange>>())
        {
            try
            {
                handler(change);
            }
            catch (Exception e)
            {
                PodWatcherLog.HandlerFailed(_logger, e);
            }
        }
    }
}
