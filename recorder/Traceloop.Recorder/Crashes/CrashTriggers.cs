using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Crashes;

internal static class CrashTriggers
{
    /// <summary>mark_victim passes the victim's task from Linux 6.9 on; before, only its pid, which names no cgroup.</summary>
    public static readonly Version OomTracepointWithTask = new(6, 9);

    /// <summary>Which kernel programs the options need; the syscall-error list is already validated.</summary>
    public static KernelTriggers ForKernel(CrashOptions o, Version kernel) => new(
        OomVictim: o.DumpOnOom && kernel >= OomTracepointWithTask,
        FatalSignals: o.DumpOnFatalSignal,
        WatchedErrors: WatchedErrors.TryParse(o.WatchSyscallErrors, out List<(int, int)>? pairs, out _) ? pairs : []);
}
