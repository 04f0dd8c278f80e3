namespace Traceloop.Recorder.Kubernetes;

internal enum PodWatcherState
{
    /// <summary>Local mode: no API server, nothing is ever requested.</summary>
    Disabled,

    /// <summary>Started; the first list has not succeeded yet.</summary>
    Starting,

    /// <summary>Listed and watching: the cache follows the API server.</summary>
    Watching,

    /// <summary>The last request failed; the next one waits out a backoff delay.</summary>
    Retrying,

    Stopped,
}
