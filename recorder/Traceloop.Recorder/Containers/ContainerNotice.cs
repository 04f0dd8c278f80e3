using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// Something the kernel said about a recorded container that may end in a saved dump: its main
/// process ended, the OOM killer chose one of its processes, a fatal signal or a watched syscall
/// failure. Handed from the control thread to the crash collector.
/// </summary>
/// <param name="Status">MainExit: the wait status; FatalSignal: the signal; SyscallError: the return value (-errno).</param>
/// <param name="Timestamp">CLOCK_BOOTTIME, ns.</param>
internal readonly record struct ContainerNotice(RecordedContainer Container, ControlKind Kind, int Status, int Pid, int Tid, int Nr, ulong Timestamp);
