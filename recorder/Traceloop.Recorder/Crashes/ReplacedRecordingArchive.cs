using Microsoft.Extensions.Logging;
using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Recorder.Store;

namespace Traceloop.Recorder.Crashes;

/// <summary>
/// Saves the rings of a pinned recording this recorder cannot take over (other programs or
/// settings, same record format) as dumps with the trigger <see cref="DumpTriggerKinds.Replaced"/>,
/// before it is discarded: an upgrade that changes the programs keeps every container's history
/// on disk instead of erasing it. Runs once, at start, before anything is served.
/// </summary>
internal sealed partial class ReplacedRecordingArchive(DumpStore store, TimeProvider time, ILogger<ReplacedRecordingArchive> logger, Redactor redactor) : IPinnedStateArchive
{
    public int Save(IReadOnlyList<PinnedRing> rings, string reason)
    {
        store.Open();
        int saved = 0;
        foreach (PinnedRing pinned in rings)
        {
            if (SlotOwner.ToContainer(pinned.Owner, pinned.Slot, pinned.Entry.main_pid) is not { } container)
            {
                continue;
            }
            try
            {
                if (SaveOne(container, pinned, reason))
                {
                    saved++;
                }
            }
            catch (Exception e) when (e is CorruptRingException or BpfException or IOException)
            {
                LogNotSaved(logger, container.Id, e.Message);
            }
        }
        return saved;
    }

    private bool SaveOne(RecordedContainer container, PinnedRing pinned, string reason)
    {
        var ring = new LibbpfRing(pinned.Ring);
        RingSnapshot snapshot = ring.Snapshot();
        TraceEvent[] events = EventAssembler.Assemble(snapshot);
        if (events.Length == 0)
        {
            snapshot.Dispose();
            return false;
        }
        var dump = new ContainerDump(container, snapshot, events, pinned.Entry, time.GetUtcNow());
        dump.Redact(redactor);
        // Into a MemoryStream, every write completes at once: nothing here waits.
        (SaveOutcome outcome, _, _) = SavedDumps.WriteAsync(store, dump, new DumpTrigger { Kind = DumpTriggerKinds.Replaced }, CancellationToken.None)
            .GetAwaiter().GetResult();
        if (outcome.Saved is not { } saved)
        {
            LogNotSaved(logger, container.Id, outcome.Refusal ?? "refused");
            return false;
        }
        LogSaved(logger, saved.Id, container.Id, saved.Events, reason);
        return true;
    }

    [LoggerMessage(EventId = 830, Level = LogLevel.Warning, Message = "Saved dump {DumpId} of container {ContainerId} ({Events} events) from the pinned recording being replaced, because {Reason}")]
    private static partial void LogSaved(ILogger logger, string dumpId, string containerId, int events, string reason);

    [LoggerMessage(EventId = 831, Level = LogLevel.Error, Message = "Could not save container {ContainerId}'s ring from the pinned recording being replaced: {Reason}")]
    private static partial void LogNotSaved(ILogger logger, string containerId, string reason);
}
