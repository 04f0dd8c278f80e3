using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// The TLS side of the kernel: <see cref="TlsProbes"/> over the loaded or taken-over programs,
/// and the exec_notices ring read on a thread of its own into a bounded channel, so neither a
/// slow scan nor an exec storm holds up the kernel or the control channel.
/// </summary>
internal sealed partial class LibbpfTlsKernel : ITlsKernel
{
    // The kernel's ring holds about 2000 notices; the channel as many again while a scan runs.
    private const int ChannelCapacity = 2048;

    private readonly KernelProbes _kernel;
    private readonly TlsProbes _probes;
    private readonly ILogger _logger;
    private readonly Channel<ExecNotice> _notices = Channel.CreateBounded<ExecNotice>(
        new BoundedChannelOptions(ChannelCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private SafeRingBufferHandle? _ring;
    private Thread? _thread;
    private GCHandle _self;
    private long _channelDrops;

    public LibbpfTlsKernel(KernelProbes kernel, ILogger<LibbpfTlsKernel> logger)
    {
        _kernel = kernel;
        _probes = new TlsProbes(kernel);
        _logger = logger;
    }

    public ChannelReader<ExecNotice> ExecNotices => _notices.Reader;

    public long ExecNoticesDropped =>
        (_kernel.ExecDrops.TryLookup(0u, out ulong drops) ? (long)drops : 0) + Interlocked.Read(ref _channelDrops);

    public int AttachedFiles => _probes.AttachedFiles;

    public int AttachedProbes => _probes.AttachedProbes;

    public IReadOnlyList<FileIdentity> Attached => _probes.Files;

    public bool IsAttached(FileIdentity file) => _probes.IsAttached(file);

    public unsafe void StartNotices()
    {
        if (_thread is not null)
        {
            return;
        }
        _self = GCHandle.Alloc(this);
        _ring = Interop.Libbpf.ring_buffer__new(_kernel.ExecNotices.RawFd, &OnSample, GCHandle.ToIntPtr(_self), 0);
        if (_ring.IsInvalid)
        {
            _self.Free();
            throw BpfException.FromErrno("opening the exec notice ring buffer", Marshal.GetLastPInvokeError());
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "traceloop-exec" };
        _thread.Start();
    }

    public TlsAttachResult AttachOpenSsl(OpenSslLibrary library) => _probes.AttachOpenSsl(library);

    public TlsAttachResult AttachGo(FileIdentity file, string hostPath, GoTlsProbeSites sites) => _probes.AttachGo(file, hostPath, sites);

    public bool Detach(FileIdentity file) => _probes.Detach(file);

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            int n = Interop.Libbpf.ring_buffer__poll(_ring!, 200);
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
        var self = (LibbpfTlsKernel)GCHandle.FromIntPtr(ctx).Target!;
        if ((int)size < sizeof(tl_exec_notice))
        {
            return 0;
        }
        tl_exec_notice notice = *(tl_exec_notice*)data;
        if (!self._notices.Writer.TryWrite(new ExecNotice((int)notice.pid, notice.cgroup_id, notice.ts)))
        {
            Interlocked.Increment(ref self._channelDrops);
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
        if (_thread is { IsAlive: true })
        {
            _thread.Join();
        }
        _ring?.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }
        _notices.Writer.TryComplete();
        _probes.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Error, Message = "Polling the exec notice ring buffer failed with errno {Errno}")]
    private static partial void LogPollFailed(ILogger logger, int errno);
}
