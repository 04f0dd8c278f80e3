namespace Traceloop.Recorder.Tls;

/// <summary>A Go function's address range: <see cref="Entry"/> up to, not including, <see cref="End"/>.</summary>
internal readonly record struct GoFunction(string Name, ulong Entry, ulong End);
