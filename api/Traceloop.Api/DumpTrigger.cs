using MessagePack;

namespace Traceloop.Api;

/// <summary>Why a dump was kept. Kinds are lower-case words: see <see cref="DumpTriggerKinds"/>.</summary>
[MessagePackObject]
public sealed class DumpTrigger
{
    /// <summary>One of <see cref="DumpTriggerKinds"/>.</summary>
    [Key(0)] public required string Kind { get; init; }

    /// <summary>The main process's exit code, when it exited (kind <c>exit</c>).</summary>
    [Key(1)] public int? ExitCode { get; init; }

    /// <summary>The signal number that killed the process or was delivered (kinds <c>signal</c>, <c>fatal-signal</c>, <c>oom</c>).</summary>
    [Key(2)] public int? Signal { get; init; }

    /// <summary>The signal's name as strace prints it (SIGSEGV).</summary>
    [Key(3)] public string? SignalName { get; init; }

    [Key(4)] public bool CoreDumped { get; init; }

    /// <summary>The watched syscall that failed (kind <c>syscall-error</c>).</summary>
    [Key(5)] public string? Syscall { get; init; }

    /// <summary>Its errno name (ECONNREFUSED).</summary>
    [Key(6)] public string? Errno { get; init; }

    /// <summary>The kubelet's <c>lastState.terminated.reason</c> (Error, OOMKilled), once the pod object reports it.</summary>
    [Key(7)] public string? KubernetesReason { get; init; }

    /// <summary>The kubelet's exit code, to cross-check the kernel's.</summary>
    [Key(8)] public int? KubernetesExitCode { get; init; }

    /// <summary>Host pid of the process the trigger is about.</summary>
    [Key(9)] public int? Pid { get; init; }

    /// <summary>Short words for tables and Events: "SIGSEGV (core dumped)", "exit code 3", "OOM kill", "manual".</summary>
    [IgnoreMember]
    public string Description => Kind switch
    {
        DumpTriggerKinds.Exit => $"exit code {ExitCode}",
        DumpTriggerKinds.Signal or DumpTriggerKinds.FatalSignal =>
            (SignalName ?? $"signal {Signal}") + (CoreDumped ? " (core dumped)" : "") + (Kind == DumpTriggerKinds.FatalSignal ? " delivered" : ""),
        DumpTriggerKinds.Oom => "OOM kill",
        DumpTriggerKinds.SyscallError => $"{Syscall} failed with {Errno}",
        DumpTriggerKinds.Replaced => "its recording was replaced by a recorder that could not take it over",
        _ => Kind,
    };
}

/// <summary>The values of <see cref="DumpTrigger.Kind"/>.</summary>
public static class DumpTriggerKinds
{
    /// <summary>The main process exited with a non-zero code.</summary>
    public const string Exit = "exit";

    /// <summary>The main process was killed by a signal.</summary>
    public const string Signal = "signal";

    /// <summary>The kernel's OOM killer chose a process of the container.</summary>
    public const string Oom = "oom";

    /// <summary>Someone asked for it (POST .../snapshot).</summary>
    public const string Manual = "manual";

    /// <summary>A fatal signal (SIGSEGV, SIGBUS, ...) was delivered, whether or not the process survived it.</summary>
    public const string FatalSignal = "fatal-signal";

    /// <summary>A watched syscall failed with a watched errno.</summary>
    public const string SyscallError = "syscall-error";

    /// <summary>
    /// A recorder started with other programs or settings than the pinned recording it found, so it
    /// could not take the rings over: it kept each one as a dump before discarding it.
    /// </summary>
    public const string Replaced = "replaced";
}
