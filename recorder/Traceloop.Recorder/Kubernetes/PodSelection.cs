using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Recorder.Kubernetes;

/// <summary>
/// Applies <see cref="SelectionOptions"/> in the kernel: for every pod of this node that is
/// left out, the names its cgroup can have go into the excluded_pods map, so its containers
/// are refused at cgroup_mkdir and never write a record. A pod left out after its containers
/// started (its object arrived late, or the selection changed) has them released; a pod
/// selected again has its running containers adopted.
/// </summary>
internal sealed partial class PodSelection : IHostedService, IDisposable
{
    private readonly NodeRecorder _recorder;
    private readonly PodCache _pods;
    private readonly IOptionsMonitor<SelectionOptions> _options;
    private readonly ILogger<PodSelection> _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _excluded = [];
    private IDisposable? _reload;

    public PodSelection(NodeRecorder recorder, PodCache pods, IOptionsMonitor<SelectionOptions> options, ILogger<PodSelection> logger)
    {
        _recorder = recorder;
        _pods = pods;
        _options = options;
        _logger = logger;
    }

    public int ExcludedCount
    {
        get
        {
            lock (_gate)
            {
                return _excluded.Count;
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _recorder.Registry.IsPodExcluded = IsExcluded;
        _pods.Changed += OnPodChanged;
        _reload = _options.OnChange(_ => ApplyAll());
        ApplyAll();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _pods.Changed -= OnPodChanged;
        _reload?.Dispose();
        return Task.CompletedTask;
    }

    public bool IsExcluded(string podUid)
    {
        lock (_gate)
        {
            return _excluded.Contains(podUid);
        }
    }

    private void OnPodChanged(PodChange change)
    {
        if (change.Kind == PodChangeKind.Removed)
        {
            Include(change.Pod.Uid, adopt: false);
            return;
        }
        Apply(change.Pod, Selector());
    }

    private void ApplyAll()
    {
        LabelSelector selector = Selector();
        foreach (PodInfo pod in _pods.Pods)
        {
            Apply(pod, selector);
        }
        LogApplied(_logger, ExcludedCount, _pods.Count);
    }

    private LabelSelector Selector() =>
        LabelSelector.TryParse(_options.CurrentValue.LabelSelector, out LabelSelector selector, out _) ? selector : LabelSelector.Everything;

    private void Apply(PodInfo pod, LabelSelector selector)
    {
        if (_options.CurrentValue.Selects(pod, selector))
        {
            Include(pod.Uid, adopt: true);
        }
        else
        {
            Exclude(pod);
        }
    }

    private void Exclude(PodInfo pod)
    {
        lock (_gate)
        {
            if (!_excluded.Add(pod.Uid))
            {
                return;
            }
            // Kernel first: no new container of the pod is adopted from here on.
            foreach (tl_pod_name name in CgroupNames(pod.Uid))
            {
                _recorder.Probes.ExcludedPods.Update(name, (byte)1);
            }
        }
        int released = _recorder.Registry.ReleasePod(pod.Uid);
        LogExcluded(_logger, pod.FullName, released);
    }

    private void Include(string uid, bool adopt)
    {
        lock (_gate)
        {
            if (!_excluded.Remove(uid))
            {
                return;
            }
            foreach (tl_pod_name name in CgroupNames(uid))
            {
                _recorder.Probes.ExcludedPods.Delete(name);
            }
        }
        if (adopt)
        {
            _recorder.Registry.AdoptExisting();
        }
    }

    /// <summary>The directory names kubelet gives a pod's cgroup, with the cgroupfs and the systemd driver, in every QoS class.</summary>
    private static IEnumerable<tl_pod_name> CgroupNames(string uid)
    {
        string underscored = uid.Replace('-', '_');
        yield return Name("pod" + uid);
        yield return Name($"kubepods-pod{underscored}.slice");
        yield return Name($"kubepods-besteffort-pod{underscored}.slice");
        yield return Name($"kubepods-burstable-pod{underscored}.slice");
    }

    private static unsafe tl_pod_name Name(string text)
    {
        var name = new tl_pod_name();
        int n = Encoding.ASCII.GetBytes(text, new Span<byte>(name.name, tl_pod_name.Length - 1));
        return name;
    }

    public void Dispose() => _reload?.Dispose();

    [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Selection applied: {Excluded} of {Pods} pods on this node are not recorded")]
    private static partial void LogApplied(ILogger logger, int excluded, int pods);

    [LoggerMessage(EventId = 421, Level = LogLevel.Information, Message = "Pod {Pod} is not selected: its containers are not recorded ({Released} released)")]
    private static partial void LogExcluded(ILogger logger, string pod, int released);
}
