using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// Pods (by uid) whose containers are not recorded. An excluded pod's cgroup names go into the
/// kernel's excluded_pods map, so its containers are refused at cgroup_mkdir; the registry asks
/// here for the containers it finds by itself (the start-up scan, or a notice that raced the
/// exclusion). The selection decides; this holds the decision and tells the kernel.
/// </summary>
internal sealed class PodExclusions(IRecordingKernel kernel)
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _excluded = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _excluded.Count;
            }
        }
    }

    public bool IsExcluded(string podUid)
    {
        lock (_gate)
        {
            return _excluded.Contains(podUid);
        }
    }

    /// <summary>Excludes a pod; false when it already was.</summary>
    public bool Exclude(string podUid)
    {
        lock (_gate)
        {
            if (!_excluded.Add(podUid))
            {
                return false;
            }
            foreach (tl_pod_name name in PodCgroupNames.Of(podUid))
            {
                kernel.ExcludePodCgroup(name);
            }
            return true;
        }
    }

    /// <summary>Records a pod again; false when it was not excluded.</summary>
    public bool Include(string podUid)
    {
        lock (_gate)
        {
            if (!_excluded.Remove(podUid))
            {
                return false;
            }
            foreach (tl_pod_name name in PodCgroupNames.Of(podUid))
            {
                kernel.IncludePodCgroup(name);
            }
            return true;
        }
    }
}
