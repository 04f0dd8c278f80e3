using System.Text;
using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>Turns events into the API's <see cref="TraceEventDto"/> for the JSON and MessagePack formats.</summary>
internal static class EventDtoFactory
{
    private const int MaxErrno = 4095;

    public static TraceEventDto Create(ReadOnlySpan<byte> buffer, in TraceEvent e, in BootClock clock, StringBuilder scratch, string? container = null, HttpMessage? http = null)
    {
        TraceEventDto dto = Build(buffer, e, clock, scratch, http);
        dto.Container = container;
        return dto;
    }

    private static TraceEventDto Build(ReadOnlySpan<byte> buffer, in TraceEvent e, in BootClock clock, StringBuilder scratch, HttpMessage? http)
    {
        scratch.Clear();
        if (e.Type != TraceEventType.Syscall)
        {
            return PointEvent(buffer, e, clock, scratch, http);
        }

        bool returned = e.Completion == Records.SyscallCompletion.Complete || e.Completion == Records.SyscallCompletion.EnterLost;
        bool failed = returned && e.Ret < 0 && e.Ret >= -MaxErrno;
        StraceText.AppendCall(scratch, buffer, e);
        return new TraceEventDto
        {
            Kind = TraceEventKind.Syscall,
            Seq = (long)e.Seq,
            TimestampNs = clock.ToUnixNs(e.Timestamp),
            Pid = (int)e.Pid,
            Tid = (int)e.Tid,
            Comm = e.HasEnter ? RecordView.Comm(buffer, e) : null,
            Nr = e.Nr,
            Name = SyscallTable.Name(e.Nr),
            Args = e.HasEnter ? Args(buffer, e) : null,
            Ret = returned ? e.Ret : null,
            Errno = failed ? ErrnoTable.Name((int)-e.Ret) : null,
            ErrnoMessage = failed ? ErrnoTable.Message((int)-e.Ret) : null,
            DurationNs = e.HasEnter && e.HasExit ? (long)e.DurationNs : null,
            Completion = (Api.SyscallCompletion)e.Completion,
            Text = scratch.ToString(),
            Http = http,
        };
    }

    /// <summary>An event of one record (process exit, signal, TCP change, TLS plaintext): the common fields once, the kind's own beside them.</summary>
    private static TraceEventDto PointEvent(ReadOnlySpan<byte> buffer, in TraceEvent e, in BootClock clock, StringBuilder scratch, HttpMessage? http)
    {
        StraceText.AppendEvent(scratch, buffer, e);
        TraceEventKind kind;
        int nr = -1;
        string? name = null;
        int? exitStatus = null;
        bool? ended = null;
        TcpStateChange? tcp = null;
        TlsPlaintext? tls = null;
        switch (e.Type)
        {
            case TraceEventType.ProcessExit:
                tl_proc_exit x = RecordView.ProcessExit(buffer, e);
                kind = TraceEventKind.ProcessExit;
                exitStatus = x.exit_code;
                ended = x.is_leader != 0;
                break;
            case TraceEventType.Signal:
                tl_signal sig = RecordView.Signal(buffer, e);
                kind = TraceEventKind.Signal;
                nr = sig.signo;
                name = SignalNames.Name(sig.signo);
                break;
            case TraceEventType.Tls:
                tl_tls t = RecordView.Tls(buffer, e);
                bool has = RecordView.TryGetTlsPayload(buffer, e, out Payload payload) && (payload.Flags & PayloadFlags.Fault) == 0;
                kind = TraceEventKind.Tls;
                name = "tls";
                tls = new TlsPlaintext
                {
                    Direction = TlsText.Direction(t.direction),
                    Library = TlsText.Library(t.library),
                    Fd = e.TlsFd >= 0 ? e.TlsFd : null,
                    Result = t.ret,
                    Data = has ? payload.Data.ToArray() : null,
                    Truncated = has && payload.Truncated,
                };
                break;
            default:
                tl_tcp c = RecordView.Tcp(buffer, e);
                kind = TraceEventKind.Tcp;
                name = "tcp";
                tcp = new TcpStateChange
                {
                    Socket = c.sk,
                    OldState = TcpText.StateName(c.oldstate),
                    NewState = TcpText.StateName(c.newstate),
                    LocalAddress = TcpText.Address(c, local: true),
                    LocalPort = c.sport,
                    RemoteAddress = TcpText.Address(c, local: false),
                    RemotePort = c.dport,
                };
                break;
        }
        return new TraceEventDto
        {
            Kind = kind,
            Seq = (long)e.Seq,
            TimestampNs = clock.ToUnixNs(e.Timestamp),
            Pid = (int)e.Pid,
            Tid = (int)e.Tid,
            Comm = RecordView.Comm(buffer, e),
            Nr = nr,
            Name = name,
            ExitStatus = exitStatus,
            ProcessEnded = ended,
            Tcp = tcp,
            Tls = tls,
            Text = scratch.ToString(),
            Http = http,
        };
    }

    private static SyscallArg[] Args(ReadOnlySpan<byte> buffer, in TraceEvent e)
    {
        SyscallParam[] parameters = SyscallTable.Get(e.Nr)?.Params ?? SyscallInfo.RawArgs;
        Span<ulong> raw = stackalloc ulong[6];
        RecordView.Args(buffer, e, raw);
        var args = new SyscallArg[Math.Min(parameters.Length, 6)];
        var text = new StringBuilder();
        for (int i = 0; i < args.Length; i++)
        {
            bool has = RecordView.TryGetPayload(buffer, e, i, out Payload payload);
            text.Clear();
            StraceText.AppendArg(text, buffer, e, i, raw);
            args[i] = new SyscallArg
            {
                Name = parameters[i].Name,
                Raw = raw[i],
                Text = text.ToString(),
                Payload = has ? payload.Data.ToArray() : null,
                Truncated = has && payload.Truncated,
            };
        }
        return args;
    }
}
