using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// The capture level of each pod (by uid) and the default for every other container, held here
/// and told to the kernel's capture_levels map, so a container created under a pod cgroup gets
/// its level in tl_cgroup_mkdir before its first syscall. The registry asks here for the
/// containers it registers by itself (the start-up scan, a takeover). The capture rules decide;
/// this holds the decision.
/// </summary>
internal sealed class PodCaptureLevels
{
    private readonly IRecordingKernel _kernel;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CaptureLevel> _pods = [];
    private CaptureLevel _default;

    /// <summary>Sets the default in the kernel at once: it must be in force before any container is adopted.</summary>
    public PodCaptureLevels(IRecordingKernel kernel, CaptureLevel initialDefault)
    {
        _kernel = kernel;
        _default = initialDefault;
        kernel.SetCaptureLevel(default, initialDefault);
    }

    public CaptureLevel Default
    {
        get
        {
            lock (_gate)
            {
                return _default;
            }
        }
    }

    public CaptureLevel For(string? podUid)
    {
        lock (_gate)
        {
            return podUid is not null && _pods.TryGetValue(podUid, out CaptureLevel level) ? level : _default;
        }
    }

    public void SetDefault(CaptureLevel level)
    {
        lock (_gate)
        {
            _default = level;
            _kernel.SetCaptureLevel(default, level);
        }
    }

    /// <summary>Sets a pod's level; false when it already had it.</summary>
    public bool Set(string podUid, CaptureLevel level)
    {
        lock (_gate)
        {
            if (_pods.TryGetValue(podUid, out CaptureLevel current) && current == level)
            {
                return false;
            }
            _pods[podUid] = level;
            foreach (tl_pod_name name in PodCgroupNames.Of(podUid))
            {
                _kernel.SetCaptureLevel(name, level);
            }
            return true;
        }
    }

    /// <summary>Forgets a pod that is gone.</summary>
    public void Remove(string podUid)
    {
        lock (_gate)
        {
            if (!_pods.Remove(podUid))
            {
                return;
            }
            foreach (tl_pod_name name in PodCgroupNames.Of(podUid))
            {
                _kernel.ClearCaptureLevel(name);
            }
        }
    }
}
