using System.Threading.Channels;
using Traceloop.Recorder.Tls;

namespace Traceloop.Tests.Tls;

/// <summary>
/// The TLS kernel seam without a kernel: exec notices are whatever a test writes, and attaching
/// records the file (or fails for the files a test names), so the service's decisions can be
/// checked without root.
/// </summary>
internal sealed class FakeTlsKernel : ITlsKernel
{
    private readonly Dictionary<FileIdentity, int> _attached = [];
    private readonly Lock _lock = new();

    public Channel<ExecNotice> Notices { get; } = Channel.CreateUnbounded<ExecNotice>();

    public ChannelReader<ExecNotice> ExecNotices => Notices.Reader;

    public long ExecNoticesDropped { get; set; }

    public bool Started { get; private set; }

    /// <summary>Attach calls made, file by file, in order (a refused one included).</summary>
    public List<FileIdentity> AttachCalls { get; } = [];

    public List<FileIdentity> Detached { get; } = [];

    /// <summary>Files whose attach fails, with the reason given.</summary>
    public Dictionary<FileIdentity, string> Refuse { get; } = [];

    public int AttachedFiles
    {
        get
        {
            lock (_lock)
            {
                return _attached.Count;
            }
        }
    }

    public int AttachedProbes
    {
        get
        {
            lock (_lock)
            {
                return _attached.Values.Sum();
            }
        }
    }

    public IReadOnlyList<FileIdentity> Attached
    {
        get
        {
            lock (_lock)
            {
                return [.. _attached.Keys];
            }
        }
    }

    public bool IsAttached(FileIdentity file)
    {
        lock (_lock)
        {
            return _attached.ContainsKey(file);
        }
    }

    public void StartNotices() => Started = true;

    public TlsAttachResult AttachOpenSsl(OpenSslLibrary library) => Attach(library.File, 2 * library.Functions.Count);

    public TlsAttachResult AttachGo(FileIdentity file, string hostPath, GoTlsProbeSites sites) =>
        Attach(file, 2 + sites.Write.RetOffsets.Count + sites.Read.RetOffsets.Count);

    public bool Detach(FileIdentity file)
    {
        lock (_lock)
        {
            Detached.Add(file);
            return _attached.Remove(file);
        }
    }

    public void Dispose() => Notices.Writer.TryComplete();

    private TlsAttachResult Attach(FileIdentity file, int probes)
    {
        lock (_lock)
        {
            AttachCalls.Add(file);
            if (Refuse.TryGetValue(file, out string? reason))
            {
                return TlsAttachResult.Failed(reason);
            }
            if (!_attached.TryAdd(file, probes))
            {
                return TlsAttachResult.AlreadyAttached(_attached[file]);
            }
            return new TlsAttachResult(probes, false, null);
        }
    }
}
