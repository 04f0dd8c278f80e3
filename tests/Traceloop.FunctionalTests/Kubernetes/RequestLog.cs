using System.Collections.Concurrent;

namespace Traceloop.FunctionalTests.Kubernetes;

public enum RequestKind
{
    List,
    Watch,
    Get,
    Create,
    Other,
}

/// <summary>One request the fake API server received; <see cref="Status"/> is its answer (200 for a watch that was opened).</summary>
public sealed record ApiRequest(RequestKind Kind, string Method, string Path, IReadOnlyDictionary<string, string> Query, DateTimeOffset At)
{
    public int Status { get; internal set; }

    public string? this[string parameter] => Query.TryGetValue(parameter, out string? value) ? value : null;
}

/// <summary>Every request, in arrival order, kept across restarts of the server.</summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<ApiRequest> _requests = new();

    public IReadOnlyList<ApiRequest> All => [.. _requests];

    public int Count(RequestKind kind) => _requests.Count(r => r.Kind == kind);

    /// <summary>Requests of a kind the server accepted (2xx).</summary>
    public int Succeeded(RequestKind kind) => _requests.Count(r => r.Kind == kind && r.Status is >= 200 and < 300);

    public IReadOnlyList<ApiRequest> Of(RequestKind kind) => [.. _requests.Where(r => r.Kind == kind)];

    internal void Add(ApiRequest request) => _requests.Enqueue(request);
}
