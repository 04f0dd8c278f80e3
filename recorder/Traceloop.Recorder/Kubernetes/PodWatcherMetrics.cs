namespace Traceloop.Recorder.Kubernetes;

/// <summary>What the watcher has done so far, for tests and operators. Updated on the watcher's task; read from any.</summary>
internal sealed class PodWatcherMetrics
{
    private long _lists;
    private long _watchesStarted;
    private long _gone;
    private long _reconnects;
    private long _events;
    private long _bookmarks;
    private volatile string? _resourceVersion;
    private volatile string? _lastError;
    private readonly Lock _gate = new();
    private DateTimeOffset? _lastErrorAt;

    /// <summary>Successful lists: the first one, and one after each 410 Gone.</summary>
    public long Lists => Interlocked.Read(ref _lists);

    /// <summary>Watches the server accepted (answered 200).</summary>
    public long WatchesStarted => Interlocked.Read(ref _watchesStarted);

    /// <summary>410 Gone answers, as an HTTP status or as an ERROR event.</summary>
    public long Gone => Interlocked.Read(ref _gone);

    /// <summary>Requests retried after a failure (each after a backoff delay).</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>ADDED, MODIFIED and DELETED events applied to the cache.</summary>
    public long Events => Interlocked.Read(ref _events);

    public long Bookmarks => Interlocked.Read(ref _bookmarks);

    /// <summary>Where a resumed watch starts: the last list's, event's or bookmark's resource version.</summary>
    public string? ResourceVersion => _resourceVersion;

    public string? LastError => _lastError;

    public DateTimeOffset? LastErrorAt
    {
        get
        {
            lock (_gate)
            {
                return _lastErrorAt;
            }
        }
    }

    internal void OnList(string resourceVersion)
    {
        Interlocked.Increment(ref _lists);
        _resourceVersion = resourceVersion;
    }

    internal void OnWatchStarted() => Interlocked.Increment(ref _watchesStarted);

    internal void OnEvent(string? resourceVersion, bool bookmark)
    {
        if (bookmark)
        {
            Interlocked.Increment(ref _bookmarks);
        }
        else
        {
            Interlocked.Increment(ref _events);
        }
        if (resourceVersion is not null)
        {
            _resourceVersion = resourceVersion;
        }
    }

    internal void OnGone() => Interlocked.Increment(ref _gone);

    internal void OnReconnect() => Interlocked.Increment(ref _reconnects);

    internal void OnError(string error, DateTimeOffset at)
    {
        lock (_gate)
        {
            _lastError = error;
            _lastErrorAt = at;
        }
    }
}
