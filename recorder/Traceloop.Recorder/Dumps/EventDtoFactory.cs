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
        if (e.Type == TraceEventType.ProcessExit)
        {
            tl_proc_exit x = RecordView.ProcessExit(buffer, e);
            StraceText.AppendProcessExit(scratch, x);
            return new TraceEventDto
            {
                Kind = TraceEventKind.ProcessExit,
                Seq = (long)e.Seq,
                TimestampNs = clock.ToUnixNs(e.Timestamp),
                Pid = (int)e.Pid,
                Tid = (int)e.Tid,
                Comm = RecordView.Comm(buffer, e),
                Nr = -1,
                ExitStatus = x.exit_code,
                ProcessEnded = x.is_leader != 0,
                Text = scratch.ToString(),
            };
        }

        if (e.Type == TraceEventType.Signal)
        {
            tl_signal sig = RecordView.Signal(buffer, e);
            StraceText.AppendSignal(scratch, sig);
            return new TraceEventDto
            {
                Kind = TraceEventKind.Signal,
                Seq = (long)e.Seq,
                TimestampNs = clock.ToUnixNs(e.Timestamp),
                Pid = (int)e.Pid,
                Tid = (int)e.Tid,
                Comm = RecordView.Comm(buffer, e),
                Nr = sig.signo,
                Name = SignalNames.Name(sig.signo),
                Text = scratch.ToString(),
            };
        }

        if (e.Type == TraceEventType.Tls)
        {
            tl_tls tls = RecordView.Tls(buffer, e);
            TlsText.AppendLine(scratch, buffer, e);
            bool has = RecordView.TryGetTlsPayload(buffer, e, out Payload payload) && (payload.Flags & PayloadFlags.Fault) == 0;
            return new TraceEventDto
            {
                Kind = TraceEventKind.Tls,
                Seq = (long)e.Seq,
                TimestampNs = clock.ToUnixNs(e.Timestamp),
                Pid = (int)e.Pid,
                Tid = (int)e.Tid,
                Comm = RecordView.Comm(buffer, e),
                Nr = -1,
                Name = "tls",
                Tls = new TlsPlaintext
                {
                    Direction = TlsText.Direction(tls.direction),
                    Library = TlsText.Library(tls.library),
                    Fd = tls.fd >= 0 ? tls.fd : null,
                    Result = tls.ret,
                    Data = has ? payload.Data.ToArray() : null,
                    Truncated = has && payload.Truncated,
                },
                Text = scratch.ToString(),
                Http = http,
            };
        }

        if (e.Type == TraceEventType.Tcp)
        {
            tl_tcp tcp = RecordView.Tcp(buffer, e);
            TcpText.AppendLine(scratch, tcp);
            return new TraceEventDto
            {
                Kind = TraceEventKind.Tcp,
                Seq = (long)e.Seq,
                TimestampNs = clock.ToUnixNs(e.Timestamp),
                Pid = (int)e.Pid,
                Tid = (int)e.Tid,
                Comm = RecordView.Comm(buffer, e),
                Nr = -1,
                Name = "tcp",
                Tcp = new TcpStateChange
                {
                    Socket = tcp.sk,
                    OldState = TcpText.StateName(tcp.oldstate),
                    NewState = TcpText.StateName(tcp.newstate),
                    LocalAddress = TcpText.Address(tcp, local: true),
                    LocalPort = tcp.sport,
                    RemoteAddress = TcpText.Address(tcp, local: false),
                    RemotePort = tcp.dport,
                },
                Text = scratch.ToString(),
            };
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
