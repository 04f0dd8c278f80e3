using MessagePack;

namespace Traceloop.Api;

/// <summary>The kinds of dump lines.</summary>
public enum TraceEventKind
{
    Syscall = 0,
    ProcessExit = 1,
    /// <summary>A signal being delivered; <see cref="TraceEventDto.Nr"/> is its number, <see cref="TraceEventDto.Name"/> its name.</summary>
    Signal = 2,
    /// <summary>A TCP state change of a socket the container made: <see cref="TraceEventDto.Tcp"/>.</summary>
    Tcp = 3,
    /// <summary>Plaintext a TLS library wrote or read for the process: <see cref="TraceEventDto.Tls"/>.</summary>
    Tls = 4,
}

/// <summary>How much of a syscall the recording holds.</summary>
public enum SyscallCompletion
{
    Complete = 0,
    Unfinished = 1,
    NoReturn = 2,
    EnterLost = 3,
    ExitLost = 4,
}

/// <summary>One argument of a syscall: its raw register value and how to read it.</summary>
[MessagePackObject]
public sealed class SyscallArg
{
    /// <summary>The parameter name from the syscall table ("filename"), or "argN".</summary>
    [Key(0)] public required string Name { get; init; }

    /// <summary>The raw 64-bit register value.</summary>
    [Key(1)] public ulong Raw { get; init; }

    /// <summary>The strace-style rendering ("AT_FDCWD", "\"/etc/passwd\"", "0x7ffc...").</summary>
    [Key(2)] public required string Text { get; init; }

    /// <summary>Bytes read from user memory for this argument (a path, a buffer), if any.</summary>
    [Key(3)] public byte[]? Payload { get; init; }

    /// <summary>The payload was cut at its size limit.</summary>
    [Key(4)] public bool Truncated { get; init; }
}

/// <summary>One line of a dump. Fields that do not apply to <see cref="Kind"/> are null.</summary>
[MessagePackObject]
public sealed class TraceEventDto
{
    [Key(0)] public TraceEventKind Kind { get; init; }

    /// <summary>Wall-clock time of the syscall's entry (or of the exit), ns since the Unix epoch.</summary>
    [Key(1)] public long TimestampNs { get; init; }

    [Key(2)] public int Pid { get; init; }

    [Key(3)] public int Tid { get; init; }

    [Key(4)] public string? Comm { get; init; }

    [Key(5)] public int Nr { get; init; }

    [Key(6)] public string? Name { get; init; }

    [Key(7)] public SyscallArg[]? Args { get; init; }

    /// <summary>The return value; null while unfinished or when the exit was lost.</summary>
    [Key(8)] public long? Ret { get; init; }

    /// <summary>"ENOENT" when <see cref="Ret"/> is a negated errno.</summary>
    [Key(9)] public string? Errno { get; init; }

    [Key(10)] public string? ErrnoMessage { get; init; }

    [Key(11)] public long? DurationNs { get; init; }

    [Key(12)] public SyscallCompletion Completion { get; init; }

    /// <summary>For <see cref="TraceEventKind.ProcessExit"/>: the wait status.</summary>
    [Key(13)] public int? ExitStatus { get; init; }

    /// <summary>For <see cref="TraceEventKind.ProcessExit"/>: the whole process ended, not only a thread.</summary>
    [Key(14)] public bool? ProcessEnded { get; init; }

    /// <summary>The strace-style line, as the text format prints it.</summary>
    [Key(15)] public string? Text { get; init; }

    /// <summary>
    /// The event's sequence number in its container's ring. The same event has the same number
    /// in every dump, so repeated dumps can be merged without duplicates.
    /// </summary>
    [Key(16)] public long Seq { get; init; }

    /// <summary>In a dump of several containers (a pod's): which container, by name or id.</summary>
    [Key(17)] public string? Container { get; set; }

    /// <summary>For <see cref="TraceEventKind.Tcp"/>: the connection and its change.</summary>
    [Key(18)] public TcpStateChange? Tcp { get; init; }

    /// <summary>An HTTP/1.x request or response this syscall carried, when one was recognised in its bytes.</summary>
    [Key(19)] public HttpMessage? Http { get; init; }

    /// <summary>For <see cref="TraceEventKind.Tls"/>: the plaintext and where it went.</summary>
    [Key(20)] public TlsPlaintext? Tls { get; init; }
}

/// <summary>A TCP socket's state change (the kernel's tracepoint sock/inet_sock_set_state).</summary>
[MessagePackObject]
public sealed class TcpStateChange
{
    /// <summary>The socket's kernel address: the changes of one connection share it.</summary>
    [Key(0)] public ulong Socket { get; init; }

    /// <summary>"ESTABLISHED", "SYN_SENT", ... as the kernel names them.</summary>
    [Key(1)] public required string OldState { get; init; }

    [Key(2)] public required string NewState { get; init; }

    [Key(3)] public required string LocalAddress { get; init; }

    [Key(4)] public int LocalPort { get; init; }

    [Key(5)] public required string RemoteAddress { get; init; }

    [Key(6)] public int RemotePort { get; init; }
}

/// <summary>
/// An HTTP/1.x request or status line recognised in the bytes a syscall wrote or read, paired
/// per connection (process and descriptor): a response names the request it answered.
/// </summary>
[MessagePackObject]
public sealed class HttpMessage
{
    /// <summary>"request" or "response".</summary>
    [Key(0)] public required string Type { get; init; }

    /// <summary>"client" (this side wrote the request) or "server" (this side read it).</summary>
    [Key(1)] public required string Role { get; init; }

    /// <summary>The request's method; for a response, the method of the request it answered, when known.</summary>
    [Key(2)] public string? Method { get; init; }

    [Key(3)] public string? Path { get; init; }

    /// <summary>The capture ended inside the path: this is its start.</summary>
    [Key(4)] public bool PathTruncated { get; init; }

    /// <summary>For a response: its status code.</summary>
    [Key(5)] public int? Status { get; init; }

    [Key(6)] public string? Reason { get; init; }

    /// <summary>For a response paired with its request: from the request's syscall to the response's.</summary>
    [Key(7)] public long? LatencyNs { get; init; }

    /// <summary>The descriptor the message went through; -1 for TLS plaintext whose library did not name its socket.</summary>
    [Key(8)] public int Fd { get; init; }
}

/// <summary>The values of <see cref="HttpMessage.Type"/> and <see cref="HttpMessage.Role"/>.</summary>
public static class HttpMessageNames
{
    public const string Request = "request";
    public const string Response = "response";
    public const string Client = "client";
    public const string Server = "server";
}

/// <summary>Plaintext handed to (write) or returned by (read) a TLS library, captured by a uprobe.</summary>
[MessagePackObject]
public sealed class TlsPlaintext
{
    /// <summary>"write" or "read".</summary>
    [Key(0)] public required string Direction { get; init; }

    /// <summary>"openssl" or "go".</summary>
    [Key(1)] public required string Library { get; init; }

    /// <summary>The socket: the one its thread moved the ciphertext through during the call (docs/TLS.md, "Which socket"); null when none is found.</summary>
    [Key(2)] public int? Fd { get; init; }

    /// <summary>Bytes written or read; 0 or less is the library's failure.</summary>
    [Key(3)] public long Result { get; init; }

    /// <summary>The first bytes (--max-tls-bytes), redacted like every other payload.</summary>
    [Key(4)] public byte[]? Data { get; init; }

    [Key(5)] public bool Truncated { get; init; }
}
