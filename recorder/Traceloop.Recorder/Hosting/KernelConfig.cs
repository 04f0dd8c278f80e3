using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Metrics;

namespace Traceloop.Recorder.Hosting;

/// <summary>The sizes, programs and capture plan the BPF object is loaded with, from the recorder's options.</summary>
internal static class KernelConfig
{
    public static KernelProbesConfig From(RecorderOptions options, CrashOptions crash, MetricsOptions metrics, CgroupFs cgroups) => new(
        RingSize: options.RingSizeBytes,
        MaxSlots: options.MaxContainers,
        // Room for nested cgroups inside containers besides the containers themselves.
        MaxCgroups: options.MaxContainers * 8,
        MaxString: options.MaxStringBytes,
        CgroupSubsys: cgroups.IsV2 ? 0 : (uint)cgroups.SubsysIndex + 1,
        HierarchyId: cgroups.HierarchyId,
        MaxBytes: options.MaxDataBytes,
        MaxArgv: options.MaxArgv,
        Triggers: CrashTriggers.ForKernel(crash, Environment.OSVersion.Version),
        Captures: CaptureTable.Build(),
        Metrics: metrics.Enabled,
        MetricsSeries: metrics.SeriesFor(options.MaxContainers),
        MaxTlsBytes: options.MaxTlsBytesValue);
}
