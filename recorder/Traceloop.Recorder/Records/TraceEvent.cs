namespace Traceloop.Recorder.Records;

internal enum TraceEventType : byte
{
    Syscall,
    ProcessExit,
    Signal,
    /// <summary>A TCP state change: one record, no pairing.</summary>
    Tcp,
    /// <summary>Plaintext a TLS library wrote or read: one record, its bytes a payload.</summary>
    Tls,
}

/// <summary>How much of a syscall the ring holds.</summary>
internal enum SyscallCompletion : byte
{
    /// <summary>Enter and exit.</summary>
    Complete,
    /// <summary>Entered and not returned when the snapshot was taken (blocked, or the task died in it).</summary>
    Unfinished,
    /// <summary>A syscall that does not return on success (exit, exit_group) and did not.</summary>
    NoReturn,
    /// <summary>Only the exit: the enter was overwritten or happened before recording started.</summary>
    EnterLost,
    /// <summary>Only the enter, yet the thread went on to other syscalls: its exit was lost.</summary>
    ExitLost,
}

/// <summary>
/// One line of a dump: a syscall (its enter and exit records paired) or a process exit.
/// It points into the snapshot's buffer instead of copying, so building a dump allocates
/// one array of these and nothing per record.
/// </summary>
internal struct TraceEvent
{
    public TraceEventType Type;
    /// <summary>The ring's sequence number of the event's first record: stable across dumps, so clients can merge them.</summary>
    public ulong Seq;
    public SyscallCompletion Completion;
    public int EnterOffset;
    public int ExitOffset;
    public ulong Timestamp;
    public ulong EndTimestamp;
    public uint Pid;
    public uint Tid;
    public int Nr;
    /// <summary>
    /// For <see cref="TraceEventType.Tls"/>: the socket that carried the ciphertext, as the probe
    /// gave it or as <see cref="TlsSockets"/> found it; -1 when neither knows. Beside Nr, in what
    /// would be padding before Ret, so events stay the same size.
    /// </summary>
    public int TlsFd;
    public long Ret;

    public readonly bool HasEnter => EnterOffset >= 0;

    public readonly bool HasExit => ExitOffset >= 0;

    public readonly ulong DurationNs => HasEnter && HasExit && EndTimestamp >= Timestamp ? EndTimestamp - Timestamp : 0;
}
