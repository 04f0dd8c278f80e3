using System.Runtime.InteropServices;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Records;

/// <summary>
/// Which socket each TLS record's ciphertext went through. The probes cannot see it (SSL_write
/// is handed an SSL*, Go's Write a *Conn), but the library sends or receives the ciphertext
/// itself, with write/sendto/sendmsg/writev or read/recvfrom/recvmsg/readv, on the calling
/// thread, between the call's entry (tl_tls.start) and its return (the record's time). So the
/// socket is the descriptor of the last such syscall of that thread in that span: one pass over
/// a dump's events, nothing on the hot path. There is none when the library served a read from
/// what it had already buffered, or a Go goroutine moved threads and did its I/O on another
/// (the record is on the thread it returned on); the fd is then -1, as when nothing matches.
/// </summary>
internal static class TlsSockets
{
    /// <summary>
    /// Sets <see cref="TraceEvent.TlsFd"/> of every TLS event of <paramref name="events"/>
    /// (sorted by time): the record's own fd when the probe knew it, else the inferred one, else -1.
    /// </summary>
    public static void Infer(ReadOnlySpan<byte> buffer, Span<TraceEvent> events)
    {
        if (!HasTls(events))
        {
            return; // most dumps: no pass over their reads and writes
        }
        // Per thread, the latest ciphertext-carrying syscall of each direction so far: its start and descriptor.
        Dictionary<uint, (Carrier Write, Carrier Read)>? latest = null;
        for (int i = 0; i < events.Length; i++)
        {
            ref TraceEvent e = ref events[i];
            if (e.Type == TraceEventType.Syscall)
            {
                TlsDirection way = SocketDataSyscalls.DirectionOf(e.Nr);
                if (way != 0 && e.HasEnter)
                {
                    latest ??= [];
                    tl_enter enter = MemoryMarshal.Read<tl_enter>(buffer[e.EnterOffset..]);
                    var carrier = new Carrier(e.Timestamp, (int)Arg0(enter), e.Pid);
                    latest.TryGetValue(e.Tid, out (Carrier Write, Carrier Read) both);
                    latest[e.Tid] = way == TlsDirection.Write ? (carrier, both.Read) : (both.Write, carrier);
                }
                continue;
            }
            if (e.Type != TraceEventType.Tls)
            {
                continue;
            }
            tl_tls x = MemoryMarshal.Read<tl_tls>(buffer[e.EnterOffset..]);
            e.TlsFd = -1;
            if (x.fd >= 0)
            {
                e.TlsFd = x.fd;
            }
            else if (latest is not null && latest.TryGetValue(e.Tid, out (Carrier Write, Carrier Read) both))
            {
                Carrier last = x.direction == TlsDirection.Write ? both.Write : both.Read;
                // Started after the call's entry (so it was the call's), by the same process; a thread's
                // syscalls before its return all ended before it, so no upper bound is needed.
                if (last.Pid == e.Pid && last.Start >= x.start && last.Start <= e.Timestamp && last.Fd >= 0)
                {
                    e.TlsFd = last.Fd;
                }
            }
        }
    }

    private static unsafe ulong Arg0(in tl_enter enter) => enter.args[0];

    private static bool HasTls(ReadOnlySpan<TraceEvent> events)
    {
        foreach (ref readonly TraceEvent e in events)
        {
            if (e.Type == TraceEventType.Tls)
            {
                return true;
            }
        }
        return false;
    }

    private readonly record struct Carrier(ulong Start, int Fd, uint Pid);
}
