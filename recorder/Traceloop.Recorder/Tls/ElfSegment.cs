namespace Traceloop.Recorder.Tls;

/// <summary>A <c>PT_LOAD</c> program header: <see cref="FileSize"/> bytes at <see cref="Offset"/> in the file are mapped at <see cref="VirtualAddress"/>.</summary>
internal readonly record struct ElfSegment(ulong Offset, ulong VirtualAddress, ulong FileSize, bool Executable);
