using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Hosting;

/// <summary>
/// The running recorder: the kernel probes, the container registry and the control channel.
/// Started before the HTTP server accepts requests; a failure to start stops the process
/// with the reason.
/// </summary>
internal sealed partial class NodeRecorder : IDisposable
{
    private readonly RecorderOptions _options;
    private readonly ILogger<NodeRecorder> _logger;
    private readonly TimeProvider _time;
    private KernelProbes? _probes;
    private ContainerRegistry? _registry;
    private ControlChannel? _control;
    private CgroupFs? _cgroups;

    private readonly Crashes.CrashOptions _crash;

    public NodeRecorder(IOptions<RecorderOptions> options, IOptions<Crashes.CrashOptions> crash, ILogger<NodeRecorder> logger, TimeProvider time)
    {
        _options = options.Value;
        _crash = crash.Value;
        _logger = logger;
        _time = time;
    }

    public ContainerRegistry Registry => _registry ?? throw new InvalidOperationException("the recorder has not started");

    public IReadOnlyList<string> Programs => _probes?.AttachedPrograms ?? [];

    public KernelProbes Probes => _probes ?? throw new InvalidOperationException("the recorder has not started");

    public TimeProvider Time => _time;

    /// <summary>The cgroup hierarchy containers are keyed by.</summary>
    public CgroupFs Cgroups => _cgroups ?? throw new InvalidOperationException("the recorder has not started");

    public void Start()
    {
        CgroupFs cgroups = _cgroups = CgroupFs.Locate(_options.CgroupHierarchy);
        var config = new KernelProbesConfig(
            RingSize: _options.RingSizeBytes,
            MaxSlots: _options.MaxContainers,
            // Room for nested cgroups inside containers besides the containers themselves.
            MaxCgroups: _options.MaxContainers * 8,
            MaxString: _options.MaxStringBytes,
            Captures: Decoding.CaptureTable.Build(),
            CgroupSubsys: cgroups.IsV2 ? 0 : (uint)cgroups.SubsysIndex + 1,
            HierarchyId: cgroups.HierarchyId,
            MaxBytes: _options.MaxDataBytes,
            MaxArgv: _options.MaxArgv,
            Triggers: Crashes.CrashTriggers.ForKernel(_crash, Environment.OSVersion.Version));
        _probes = KernelProbes.Load(config, _logger);
        _registry = new ContainerRegistry(_probes, cgroups, _options.GracePeriod, _options.SpareRings, _time, _logger);
        _control = new ControlChannel(_probes, _registry, _logger);
        int adopted = _registry.AdoptExisting();
        LogStarted(_logger, _probes.AttachedPrograms.Count, cgroups.ToString(), adopted, _options.RingSize, _options.MaxContainers);
    }

    public void Dispose()
    {
        _control?.Dispose();
        _registry?.Dispose();
        _probes?.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Recording: {Programs} BPF programs attached, containers keyed by {CgroupRoot}, {Adopted} running containers adopted, {RingSize} ring per container, up to {MaxContainers} containers")]
    private static partial void LogStarted(ILogger logger, int programs, string cgroupRoot, int adopted, string ringSize, int maxContainers);
}
