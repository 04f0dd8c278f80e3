namespace Traceloop.Recorder.Tls;

/// <summary>The uprobe sites of one Go function: the file offset of its entry and of each of its RETs.</summary>
internal sealed record GoFunctionSites(GoFunction Function, long EntryOffset, IReadOnlyList<long> RetOffsets);
