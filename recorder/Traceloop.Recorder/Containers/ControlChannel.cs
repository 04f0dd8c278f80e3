using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// Reads the kernel's low-rate notifications (a container cgroup appeared or went) from the
/// control BPF ring buffer on a thread of its own and hands them to the registry. Syscall
/// records never come this way: they stay in the kernel until a dump asks for them.
/// </summary>
internal sealed partial class ControlChannel : IKernelNotices
{
    private readonly SafeRingBufferHandle _ring;
    private readonly ContainerRegistry _registry;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private GCHandle _self;

    public unsafe ControlChannel(KernelProbes probes, ContainerRegistry registry, ILogger<ControlChannel> logger)
    {
        _registry = registry;
        _logger = logger;
        _self = GCHandle.Alloc(this);
        _ring = Interop.Libbpf.ring_buffer__new(probes.Control.RawFd, &OnSample, GCHandle.ToIntPtr(_self), 0);
        if (_ring.IsInvalid)
        {
            _self.Free();
            throw BpfException.FromErrno("opening the control ring buffer", Marshal.GetLastPInvokeError());
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "traceloop-control" };
    }

    /// <summary>
    /// Starts reading the kernel's notices. Until then they wait in the control ring, so consumers
    /// that subscribe to <see cref="ContainerEvents"/> while the host builds its services miss none.
    /// </summary>
    public void Start() => _thread.Start();

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            int n = Interop.Libbpf.ring_buffer__poll(_ring, 200);
            if (n < 0 && -n != Errno.EINTR)
            {
                LogPollFailed(_logger, -n);
                Thread.Sleep(200);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static unsafe int OnSample(nint ctx, void* data, nuint size)
    {
        var self = (ControlChannel)GCHandle.FromIntPtr(ctx).Target!;
        if ((int)size < sizeof(tl_control))
        {
            return 0;
        }
        tl_control ctl = *(tl_control*)data;
        string path = Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(ctl.path));
        try
        {
            self._registry.OnControl(ctl, path);
        }
        catch (Exception e)
        {
            // One bad notification must not stop the channel.
            LogHandlerFailed(self._logger, e, ctl.cgroup_id);
        }
        return 0;
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
        _ring.Dispose();
        _self.Free();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Polling the control ring buffer failed with errno {Errno}")]
    private static partial void LogPollFailed(ILogger logger, int errno);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Handling the notification for cgroup {CgroupId} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception e, ulong cgroupId);
}
