using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>A logger that keeps what was logged, so tests can check what an operator would read.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> _entries;

    public CapturingLogger()
        : this(new ConcurrentQueue<(LogLevel, EventId, string)>())
    {
    }

    private CapturingLogger(ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> entries) => _entries = entries;

    /// <summary>A logger for another category that writes into the same log, as the console does in the recorder.</summary>
    public CapturingLogger<TOther> For<TOther>() => new(_entries);

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries => [.. _entries];

    public string Text => string.Join('\n', _entries.Select(e => $"{e.Level} [{e.Id.Id}] {e.Message}"));

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, eventId, formatter(state, exception) + (exception is null ? "" : " " + exception.Message)));
}
