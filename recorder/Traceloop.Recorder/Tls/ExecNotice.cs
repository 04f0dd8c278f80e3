namespace Traceloop.Recorder.Tls;

/// <summary>A process of a recorded container ran a new program: what the kernel's exec notice says.</summary>
internal readonly record struct ExecNotice(int Pid, ulong CgroupId, ulong BootTimeNs);
