using Traceloop.Api;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>
/// Finds HTTP/1.x requests and responses in the bytes a dump's syscalls carried in clear text
/// (write, send, writev out; read, recv, readv in) and pairs them per connection: a process and a
/// descriptor, first request first (pipelining), forgotten at close; a response on another
/// descriptor of the process answers its oldest waiting request (inetd-style servers). Whichever side writes the
/// request is the client. Works on what the dump shows, so it sees redacted bytes as redacted and
/// nothing at capture level no-payload.
/// </summary>
internal static class HttpAnnotations
{
    private const int MaxPending = 64;

    private enum Way { None, Out, In, Close }

    public static Dictionary<int, HttpMessage> Find(ReadOnlySpan<byte> buffer, TraceEvent[] events)
    {
        var found = new Dictionary<int, HttpMessage>();
        var pending = new Dictionary<(uint Pid, int Fd), Queue<(int Event, HttpMessage Request)>>();
        Span<ulong> args = stackalloc ulong[6];
        for (int i = 0; i < events.Length; i++)
        {
            ref readonly TraceEvent e = ref events[i];
            if (e.Type == TraceEventType.Tls)
            {
                ReadOnlySpan<byte> plaintext = TlsMessage(buffer, e, out Way tlsWay, out (uint, int) tlsKey, out bool tlsCut);
                Annotate(found, pending, i, events, plaintext, tlsWay, tlsKey, Math.Max(e.TlsFd, -1), tlsCut);
                continue;
            }
            if (e.Type != TraceEventType.Syscall || !e.HasEnter)
            {
                continue;
            }
            Way way = WayOf(e.Nr);
            if (way == Way.None)
            {
                continue;
            }
            RecordView.Args(buffer, e, args);
            var key = (e.Pid, (int)args[0]);
            if (way == Way.Close)
            {
                pending.Remove(key);
                continue;
            }
            if (!Bytes(buffer, e, way, SocketDataSyscalls.LayoutOf(e.Nr), out ReadOnlySpan<byte> data, out bool cut))
            {
                continue;
            }
            Annotate(found, pending, i, events, data, way, key, key.Item2, cut);
        }
        return found;
    }

    /// <summary>Records the request or response at the start of <paramref name="data"/>, if there is one, paired on <paramref name="key"/>.</summary>
    private static void Annotate(Dictionary<int, HttpMessage> found, Dictionary<(uint Pid, int Fd), Queue<(int Event, HttpMessage Request)>> pending,
        int i, TraceEvent[] events, ReadOnlySpan<byte> data, Way way, (uint Pid, int Fd) key, int fd, bool cut)
    {
        if (data.IsEmpty)
        {
            return;
        }
        ref readonly TraceEvent e = ref events[i];
        if (HttpLines.TryParseRequest(data, cut, out string method, out string path, out bool pathCut))
        {
            var request = new HttpMessage
            {
                Type = HttpMessageNames.Request,
                Role = way == Way.Out ? HttpMessageNames.Client : HttpMessageNames.Server,
                Method = method,
                Path = path,
                PathTruncated = pathCut,
                Fd = fd,
            };
            found[i] = request;
            if (!pending.TryGetValue(key, out Queue<(int, HttpMessage)>? queue))
            {
                pending[key] = queue = new Queue<(int, HttpMessage)>();
            }
            if (queue.Count < MaxPending)
            {
                queue.Enqueue((i, request));
            }
        }
        else if (HttpLines.TryParseStatus(data, out int status, out string reason))
        {
            // A client reads the response, a server writes it.
            string role = way == Way.In ? HttpMessageNames.Client : HttpMessageNames.Server;
            (int Event, HttpMessage Request)? match = Take(pending, key, role);
            found[i] = new HttpMessage
            {
                Type = HttpMessageNames.Response,
                Role = role,
                Method = match?.Request.Method,
                Path = match?.Request.Path,
                PathTruncated = match?.Request.PathTruncated ?? false,
                Status = status,
                Reason = reason,
                LatencyNs = match is { } m ? Latency(events[m.Event], e) : null,
                Fd = fd,
            };
        }
    }

    /// <summary>
    /// A TLS record's plaintext: written is out, read is in. The connection is the socket when it is
    /// known (<see cref="TlsSockets"/>), else the thread (a TLS client or handler is one thread per
    /// connection while a request is open, for the libraries probed).
    /// </summary>
    private static ReadOnlySpan<byte> TlsMessage(ReadOnlySpan<byte> buffer, in TraceEvent e, out Way way, out (uint Pid, int Fd) key, out bool cut)
    {
        tl_tls x = RecordView.Tls(buffer, e);
        way = x.direction == TlsDirection.Write ? Way.Out : Way.In;
        key = (e.Pid, e.TlsFd >= 0 ? e.TlsFd : -1 - (int)e.Tid);
        cut = false;
        if (x.ret <= 0 || !RecordView.TryGetTlsPayload(buffer, e, out Payload payload) || (payload.Flags & PayloadFlags.Fault) != 0)
        {
            return default;
        }
        cut = payload.Truncated;
        return payload.Data;
    }

    /// <summary>
    /// The oldest request waiting on this descriptor; else (a server run inetd-style, reading the
    /// connection on 0 and writing it on 1, as busybox httpd's children do) the oldest waiting on
    /// another descriptor of the same process for the same role.
    /// </summary>
    private static (int Event, HttpMessage Request)? Take(Dictionary<(uint Pid, int Fd), Queue<(int Event, HttpMessage Request)>> pending, (uint Pid, int Fd) key, string role)
    {
        if (pending.TryGetValue(key, out Queue<(int Event, HttpMessage Request)>? own) && own.Count > 0 && own.Peek().Request.Role == role)
        {
            return own.Dequeue();
        }
        Queue<(int Event, HttpMessage Request)>? oldest = null;
        foreach (((uint pid, int _), Queue<(int Event, HttpMessage Request)> queue) in pending)
        {
            if (pid == key.Pid && queue.Count > 0 && queue.Peek().Request.Role == role && (oldest is null || queue.Peek().Event < oldest.Peek().Event))
            {
                oldest = queue;
            }
        }
        return oldest?.Dequeue();
    }

    // From the start of the request's syscall to the end of the response's (or its start, when its end is not recorded).
    private static long Latency(in TraceEvent request, in TraceEvent response)
    {
        ulong end = response.HasExit ? response.EndTimestamp : response.Timestamp;
        return end >= request.Timestamp ? (long)(end - request.Timestamp) : 0;
    }

    private static Way WayOf(int nr) => nr == SocketDataSyscalls.NR_close ? Way.Close : SocketDataSyscalls.DirectionOf(nr) switch
    {
        TlsDirection.Write => Way.Out,
        TlsDirection.Read => Way.In,
        _ => Way.None,
    };

    /// <summary>The first buffer's captured bytes: written data at entry, read data at exit (and only what was read).</summary>
    private static bool Bytes(ReadOnlySpan<byte> buffer, in TraceEvent e, Way way, SocketDataLayout layout, out ReadOnlySpan<byte> data, out bool cut)
    {
        data = default;
        cut = false;
        Payload payload = default;
        bool found = way == Way.Out
            ? RecordView.TryGetEnterPayload(buffer, e, 1, out payload)
            : e.HasExit && e.Ret > 0 && RecordView.TryGetExitPayload(buffer, e, 1, out payload);
        if (!found || (payload.Flags & PayloadFlags.Fault) != 0)
        {
            return false;
        }
        cut = payload.Truncated;
        bool cutInside = false;
        data = layout switch
        {
            SocketDataLayout.Buffer => payload.Data,
            SocketDataLayout.Iovec => FirstIovecBuffer(payload.Data, out cutInside),
            _ => FirstIovecBuffer(AfterMsghdrName(payload.Data), out cutInside),
        };
        cut |= cutInside;
        return !data.IsEmpty;
    }

    // The TL_CAP_MSGHDR layout: struct user_msghdr (56 bytes), u32 name_len, the name, then the iovec layout.
    private static ReadOnlySpan<byte> AfterMsghdrName(ReadOnlySpan<byte> data)
    {
        const int Header = 56;
        if (data.Length < Header + 4)
        {
            return default;
        }
        long start = Header + 4 + (long)BitConverter.ToUInt32(data[Header..]);
        return start <= data.Length ? data[(int)start..] : default;
    }

    // The TL_CAP_IOVEC layout (bpf/traceloop.h): u32 count, u32 reserved, iovecs of 16 bytes, then u32 got and the bytes of each buffer.
    private static ReadOnlySpan<byte> FirstIovecBuffer(ReadOnlySpan<byte> data, out bool cut)
    {
        cut = false;
        if (data.Length < 8)
        {
            return default;
        }
        uint count = BitConverter.ToUInt32(data);
        long first = 8 + ((long)count * 16);
        if (count == 0 || data.Length < first + 4)
        {
            return default;
        }
        ulong length = BitConverter.ToUInt64(data[16..]);
        int got = (int)Math.Min(BitConverter.ToUInt32(data[(int)first..]), (uint)(data.Length - first - 4));
        cut = (ulong)got < length;
        return data.Slice((int)first + 4, got);
    }
}
