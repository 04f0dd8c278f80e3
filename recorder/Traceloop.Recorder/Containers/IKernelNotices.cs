namespace Traceloop.Recorder.Containers;

/// <summary>
/// The kernel's notices about cgroups and containers (<see cref="ControlChannel"/> reads them
/// from the control ring and hands them to the registry). The other half of the kernel seam,
/// with <see cref="IRecordingKernel"/>: tests drive the registry with notices of their own.
/// </summary>
internal interface IKernelNotices : IDisposable
{
    /// <summary>Starts delivering; notices sent before wait in the kernel until then.</summary>
    void Start();
}
