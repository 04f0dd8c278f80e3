using System.Runtime.InteropServices;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Records;

/// <summary>
/// Turns a snapshot's records into dump lines: each enter is paired with the next exit of
/// the same thread (the ring's reservation order is the sequence, so timestamps that
/// disagree across CPUs cannot mispair them), and what cannot be paired says why.
/// </summary>
internal static class EventAssembler
{
    private const int NR_exit = 60;
    private const int NR_exit_group = 231;
    private const int NR_execve = 59;
    private const int NR_execveat = 322;
    private const int NR_rt_sigreturn = 15;

    public static TraceEvent[] Assemble(RingSnapshot snapshot)
    {
        ReadOnlySpan<byte> buffer = snapshot.Buffer;
        var events = new List<TraceEvent>(snapshot.Records.Count / 2 + 1);
        var open = new Dictionary<uint, int>(); // tid -> index of its unreturned syscall

        foreach (RecordRef r in snapshot.Records)
        {
            tl_rec h = MemoryMarshal.Read<tl_rec>(buffer[r.Offset..]);
            switch (r.Kind)
            {
                case RecordKind.Enter:
                {
                    tl_enter e = MemoryMarshal.Read<tl_enter>(buffer[r.Offset..]);
                    if (open.Remove(h.tid, out int previous))
                    {
                        // The thread entered again, so the earlier syscall returned unseen.
                        CollectionsMarshal.AsSpan(events)[previous].Completion = SyscallCompletion.ExitLost;
                    }
                    open[h.tid] = events.Count;
                    events.Add(new TraceEvent
                    {
                        Type = TraceEventType.Syscall,
                        Seq = r.Sequence,
                        Completion = SyscallCompletion.Unfinished,
                        EnterOffset = r.Offset,
                        ExitOffset = -1,
                        Timestamp = h.ts,
                        Pid = h.pid,
                        Tid = h.tid,
                        Nr = (int)e.nr,
                    });
                    break;
                }
                case RecordKind.Exit:
                {
                    tl_exit x = MemoryMarshal.Read<tl_exit>(buffer[r.Offset..]);
                    int index = FindEnter(events, open, h, (int)x.nr);
                    if (index >= 0)
                    {
                        ref TraceEvent ev = ref CollectionsMarshal.AsSpan(events)[index];
                        ev.ExitOffset = r.Offset;
                        ev.EndTimestamp = h.ts;
                        ev.Ret = x.ret;
                        ev.Completion = SyscallCompletion.Complete;
                        // A successful execve from a secondary thread returns in the leader's tid.
                        ev.Tid = h.tid;
                    }
                    else
                    {
                        events.Add(new TraceEvent
                        {
                            Type = TraceEventType.Syscall,
                            Seq = r.Sequence,
                            Completion = SyscallCompletion.EnterLost,
                            EnterOffset = -1,
                            ExitOffset = r.Offset,
                            Timestamp = h.ts,
                            EndTimestamp = h.ts,
                            Pid = h.pid,
                            Tid = h.tid,
                            Nr = (int)x.nr,
                            Ret = x.ret,
                        });
                    }
                    break;
                }
                case RecordKind.ProcessExit:
                {
                    if (open.Remove(h.tid, out int dying))
                    {
                        ref TraceEvent ev = ref CollectionsMarshal.AsSpan(events)[dying];
                        if (ev.Nr is NR_exit or NR_exit_group)
                        {
                            ev.Completion = SyscallCompletion.NoReturn;
                        }
                    }
                    events.Add(PointEvent(TraceEventType.ProcessExit, r, h, -1));
                    break;
                }
                case RecordKind.Signal:
                    events.Add(PointEvent(TraceEventType.Signal, r, h, MemoryMarshal.Read<tl_signal>(buffer[r.Offset..]).signo));
                    break;
                case RecordKind.Tls:
                    // Nr -1: no syscall's capture plan applies to its payload (redaction treats it as a data buffer).
                    events.Add(PointEvent(TraceEventType.Tls, r, h, -1));
                    break;
                case RecordKind.Tcp:
                    events.Add(PointEvent(TraceEventType.Tcp, r, h, MemoryMarshal.Read<tl_tcp>(buffer[r.Offset..]).newstate));
                    break;
                default:
                    // Kinds added by newer kernels programs are skipped, not misread.
                    break;
            }
        }

        TraceEvent[] result = [.. events];
        // Reservation order is nearly time order; timestamps taken just before reserving on
        // different CPUs can be a few ns out of order. Sort stably so the dump reads forward.
        SortStableByTime(result);
        TlsSockets.Infer(buffer, result);
        return result;
    }

    /// <summary>An event of one record (a process exit, a signal): no pairing, no duration.</summary>
    private static TraceEvent PointEvent(TraceEventType type, in RecordRef r, in tl_rec h, int nr) => new()
    {
        Type = type,
        Seq = r.Sequence,
        EnterOffset = r.Offset,
        ExitOffset = -1,
        Timestamp = h.ts,
        Pid = h.pid,
        Tid = h.tid,
        Nr = nr,
    };

    private static int FindEnter(List<TraceEvent> events, Dictionary<uint, int> open, in tl_rec h, int nr)
    {
        if (open.TryGetValue(h.tid, out int index))
        {
            // rt_sigreturn restores the registers of the interrupted code, orig_ax included,
            // so its exit reports syscall -1 (and the interrupted syscall's return value).
            if (events[index].Nr == nr || (nr == -1 && events[index].Nr == NR_rt_sigreturn))
            {
                open.Remove(h.tid);
                return index;
            }
            // The thread's open syscall never showed its exit, and this exit's enter is gone.
            CollectionsMarshal.AsSpan(events)[index].Completion = SyscallCompletion.ExitLost;
            open.Remove(h.tid);
        }
        if (nr is NR_execve or NR_execveat && h.pid == h.tid)
        {
            // execve by a non-leader thread: the kernel gives it the leader's tid on success.
            foreach ((uint tid, int candidate) in open)
            {
                if (events[candidate].Pid == h.pid && events[candidate].Nr == nr)
                {
                    open.Remove(tid);
                    return candidate;
                }
            }
        }
        return -1;
    }

    private static void SortStableByTime(TraceEvent[] events)
    {
        // Insertion sort: the input is sorted but for a few near neighbours.
        for (int i = 1; i < events.Length; i++)
        {
            TraceEvent item = events[i];
            int j = i - 1;
            while (j >= 0 && events[j].Timestamp > item.Timestamp)
            {
                events[j + 1] = events[j];
                j--;
            }
            events[j + 1] = item;
        }
    }
}
