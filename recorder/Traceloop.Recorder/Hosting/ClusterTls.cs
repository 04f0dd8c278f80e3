using Microsoft.Extensions.Logging;
using Traceloop.Cluster;

namespace Traceloop.Recorder.Hosting;

/// <summary>
/// The cluster listener's TLS files (--cluster-tls-dir), waited for: the DaemonSet mounts Secret
/// traceloop-agent-tls as optional because the gateway creates it, possibly after this agent has
/// started, and the kubelet adds the files when it appears. Until they can be used, every
/// <see cref="RetryInterval"/> they are tried again and <see cref="Files"/> is null (the listener
/// refuses handshakes); the reason is logged each time it changes, and once more when they work.
/// After that, <see cref="TlsFiles"/> itself follows rotations.
/// </summary>
internal sealed partial class ClusterTls : IDisposable
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer? _retry;
    private volatile TlsFiles? _files;
    private string? _waitingFor;

    public ClusterTls(string directory, TimeProvider time, ILogger logger)
    {
        _directory = directory;
        _time = time;
        _logger = logger;
        if (!TryOpen())
        {
            _retry = time.CreateTimer(_ => TryOpen(), null, RetryInterval, RetryInterval);
        }
    }

    /// <summary>The files once they could be read; null while they are waited for.</summary>
    public TlsFiles? Files => _files;

    public void Dispose() => _retry?.Dispose();

    private bool TryOpen()
    {
        lock (_gate)
        {
            if (_files is not null)
            {
                return true;
            }
            try
            {
                _files = TlsFiles.InDirectory(_directory, _time);
            }
            catch (InvalidOperationException e)
            {
                if (e.Message != _waitingFor)
                {
                    _waitingFor = e.Message;
                    LogWaiting(_logger, RetryInterval.TotalSeconds, e.Message);
                }
                return false;
            }
            _retry?.Dispose();
            if (_waitingFor is not null)
            {
                LogReady(_logger, _directory);
            }
            return true;
        }
    }

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning,
        Message = "Cluster listener waits for its TLS files (Secret traceloop-agent-tls, created by the gateway) and refuses connections until then; tried every {RetrySeconds}s: {Error}")]
    private static partial void LogWaiting(ILogger logger, double retrySeconds, string error);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Cluster listener's TLS files in {Directory} are now in use")]
    private static partial void LogReady(ILogger logger, string directory);
}
