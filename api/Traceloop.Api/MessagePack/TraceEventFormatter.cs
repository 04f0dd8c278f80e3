using MessagePack;

namespace Traceloop.Api.MessagePack;

/// <summary>Writes <see cref="TraceEventDto"/> (and its <see cref="SyscallArg"/>s) as arrays indexed by their [Key]s.</summary>
public static class TraceEventFormatter
{
    private const int FieldCount = 21;
    private const int TlsFieldCount = 6;
    private const int HttpFieldCount = 9;
    private const int TcpFieldCount = 7;
    private const int ArgFieldCount = 5;
    private const int MaxArgs = 64;

    public static void Write(ref MessagePackWriter writer, TraceEventDto? value)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(FieldCount);
        writer.Write((int)value.Kind);
        writer.Write(value.TimestampNs);
        writer.Write(value.Pid);
        writer.Write(value.Tid);
        writer.Write(value.Comm);
        writer.Write(value.Nr);
        writer.Write(value.Name);
        if (value.Args is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteArrayHeader(value.Args.Length);
            foreach (SyscallArg arg in value.Args)
            {
                writer.WriteArrayHeader(ArgFieldCount);
                writer.Write(arg.Name);
                writer.Write(arg.Raw);
                writer.Write(arg.Text);
                if (arg.Payload is null)
                {
                    writer.WriteNil();
                }
                else
                {
                    writer.Write(arg.Payload);
                }
                writer.Write(arg.Truncated);
            }
        }
        WireFormat.Write(ref writer, value.Ret);
        writer.Write(value.Errno);
        writer.Write(value.ErrnoMessage);
        WireFormat.Write(ref writer, value.DurationNs);
        writer.Write((int)value.Completion);
        WireFormat.Write(ref writer, value.ExitStatus);
        if (value.ProcessEnded is { } ended)
        {
            writer.Write(ended);
        }
        else
        {
            writer.WriteNil();
        }
        writer.Write(value.Text);
        writer.Write(value.Seq);
        writer.Write(value.Container);
        WriteTcp(ref writer, value.Tcp);
        WriteHttp(ref writer, value.Http);
        WriteTls(ref writer, value.Tls);
    }

    private static void WriteTls(ref MessagePackWriter writer, TlsPlaintext? tls)
    {
        if (tls is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(TlsFieldCount);
        writer.Write(tls.Direction);
        writer.Write(tls.Library);
        WireFormat.Write(ref writer, tls.Fd);
        writer.Write(tls.Result);
        if (tls.Data is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.Write(tls.Data);
        }
        writer.Write(tls.Truncated);
    }

    private static TlsPlaintext? ReadTls(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int fields = WireFormat.ReadArrayHeader(ref reader, 64, "TLS plaintext");
        string direction = "", library = "";
        int? fd = null;
        long result = 0;
        byte[]? data = null;
        bool truncated = false;
        for (int i = 0; i < fields; i++)
        {
            switch (i)
            {
                case 0: direction = reader.ReadString() ?? ""; break;
                case 1: library = reader.ReadString() ?? ""; break;
                case 2: fd = WireFormat.ReadNullableInt32(ref reader); break;
                case 3: result = reader.ReadInt64(); break;
                case 4: data = WireFormat.ReadBytes(ref reader); break;
                case 5: truncated = reader.ReadBoolean(); break;
                default: WireFormat.Skip(ref reader); break;
            }
        }
        return new TlsPlaintext { Direction = direction, Library = library, Fd = fd, Result = result, Data = data, Truncated = truncated };
    }

    private static void WriteHttp(ref MessagePackWriter writer, HttpMessage? http)
    {
        if (http is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(HttpFieldCount);
        writer.Write(http.Type);
        writer.Write(http.Role);
        writer.Write(http.Method);
        writer.Write(http.Path);
        writer.Write(http.PathTruncated);
        WireFormat.Write(ref writer, http.Status);
        writer.Write(http.Reason);
        WireFormat.Write(ref writer, http.LatencyNs);
        writer.Write(http.Fd);
    }

    private static HttpMessage? ReadHttp(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int fields = WireFormat.ReadArrayHeader(ref reader, 64, "an HTTP message");
        string type = "", role = "";
        string? method = null, path = null, reason = null;
        bool cut = false;
        int? status = null;
        long? latency = null;
        int fd = 0;
        for (int i = 0; i < fields; i++)
        {
            switch (i)
            {
                case 0: type = reader.ReadString() ?? ""; break;
                case 1: role = reader.ReadString() ?? ""; break;
                case 2: method = reader.ReadString(); break;
                case 3: path = reader.ReadString(); break;
                case 4: cut = reader.ReadBoolean(); break;
                case 5: status = WireFormat.ReadNullableInt32(ref reader); break;
                case 6: reason = reader.ReadString(); break;
                case 7: latency = WireFormat.ReadNullableInt64(ref reader); break;
                case 8: fd = reader.ReadInt32(); break;
                default: WireFormat.Skip(ref reader); break;
            }
        }
        return new HttpMessage
        {
            Type = type, Role = role, Method = method, Path = path, PathTruncated = cut,
            Status = status, Reason = reason, LatencyNs = latency, Fd = fd,
        };
    }

    private static void WriteTcp(ref MessagePackWriter writer, TcpStateChange? tcp)
    {
        if (tcp is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(TcpFieldCount);
        writer.Write(tcp.Socket);
        writer.Write(tcp.OldState);
        writer.Write(tcp.NewState);
        writer.Write(tcp.LocalAddress);
        writer.Write(tcp.LocalPort);
        writer.Write(tcp.RemoteAddress);
        writer.Write(tcp.RemotePort);
    }

    private static TcpStateChange? ReadTcp(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int fields = WireFormat.ReadArrayHeader(ref reader, 64, "a TCP state change");
        ulong socket = 0;
        string oldState = "", newState = "", local = "", remote = "";
        int localPort = 0, remotePort = 0;
        for (int i = 0; i < fields; i++)
        {
            switch (i)
            {
                case 0: socket = reader.ReadUInt64(); break;
                case 1: oldState = reader.ReadString() ?? ""; break;
                case 2: newState = reader.ReadString() ?? ""; break;
                case 3: local = reader.ReadString() ?? ""; break;
                case 4: localPort = reader.ReadInt32(); break;
                case 5: remote = reader.ReadString() ?? ""; break;
                case 6: remotePort = reader.ReadInt32(); break;
                default: WireFormat.Skip(ref reader); break;
            }
        }
        return new TcpStateChange
        {
            Socket = socket, OldState = oldState, NewState = newState,
            LocalAddress = local, LocalPort = localPort, RemoteAddress = remote, RemotePort = remotePort,
        };
    }

    public static TraceEventDto? Read(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int count = WireFormat.ReadArrayHeader(ref reader, 256, "an event");
        TraceEventKind kind = default;
        long ts = 0;
        int pid = 0, tid = 0, nr = 0;
        string? comm = null, name = null, errno = null, message = null, text = null;
        SyscallArg[]? args = null;
        long? ret = null, duration = null;
        SyscallCompletion completion = default;
        int? exitStatus = null;
        bool? ended = null;
        long seq = 0;
        string? container = null;
        TcpStateChange? tcp = null;
        HttpMessage? http = null;
        TlsPlaintext? tls = null;
        for (int i = 0; i < count; i++)
        {
            switch (i)
            {
                case 0: kind = (TraceEventKind)reader.ReadInt32(); break;
                case 1: ts = reader.ReadInt64(); break;
                case 2: pid = reader.ReadInt32(); break;
                case 3: tid = reader.ReadInt32(); break;
                case 4: comm = reader.ReadString(); break;
                case 5: nr = reader.ReadInt32(); break;
                case 6: name = reader.ReadString(); break;
                case 7: args = ReadArgs(ref reader); break;
                case 8: ret = WireFormat.ReadNullableInt64(ref reader); break;
                case 9: errno = reader.ReadString(); break;
                case 10: message = reader.ReadString(); break;
                case 11: duration = WireFormat.ReadNullableInt64(ref reader); break;
                case 12: completion = (SyscallCompletion)reader.ReadInt32(); break;
                case 13: exitStatus = WireFormat.ReadNullableInt32(ref reader); break;
                case 14: ended = WireFormat.ReadNullableBool(ref reader); break;
                case 15: text = reader.ReadString(); break;
                case 16: seq = reader.ReadInt64(); break;
                case 17: container = reader.ReadString(); break;
                case 18: tcp = ReadTcp(ref reader); break;
                case 19: http = ReadHttp(ref reader); break;
                case 20: tls = ReadTls(ref reader); break;
                default: WireFormat.Skip(ref reader); break;
            }
        }
        return new TraceEventDto
        {
            Kind = kind,
            TimestampNs = ts,
            Pid = pid,
            Tid = tid,
            Comm = comm,
            Nr = nr,
            Name = name,
            Args = args,
            Ret = ret,
            Errno = errno,
            ErrnoMessage = message,
            DurationNs = duration,
            Completion = completion,
            ExitStatus = exitStatus,
            ProcessEnded = ended,
            Text = text,
            Seq = seq,
            Container = container,
            Tcp = tcp,
            Http = http,
            Tls = tls,
        };
    }

    private static SyscallArg[]? ReadArgs(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        int n = WireFormat.ReadArrayHeader(ref reader, MaxArgs, "an argument list");
        var args = new SyscallArg[n];
        for (int a = 0; a < n; a++)
        {
            int fields = WireFormat.ReadArrayHeader(ref reader, 64, "an argument");
            string name = "", text = "";
            ulong raw = 0;
            byte[]? payload = null;
            bool truncated = false;
            for (int i = 0; i < fields; i++)
            {
                switch (i)
                {
                    case 0: name = reader.ReadString() ?? ""; break;
                    case 1: raw = reader.ReadUInt64(); break;
                    case 2: text = reader.ReadString() ?? ""; break;
                    case 3: payload = WireFormat.ReadBytes(ref reader); break;
                    case 4: truncated = reader.ReadBoolean(); break;
                    default: WireFormat.Skip(ref reader); break;
                }
            }
            args[a] = new SyscallArg { Name = name, Raw = raw, Text = text, Payload = payload, Truncated = truncated };
        }
        return args;
    }
}
