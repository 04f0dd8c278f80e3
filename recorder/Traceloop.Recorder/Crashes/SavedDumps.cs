using Traceloop.Api;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Records;
using Traceloop.Recorder.Store;

namespace Traceloop.Recorder.Crashes;

/// <summary>Writes a taken dump to the store: the one way crash dumps, snapshots and replaced rings are kept.</summary>
internal static class SavedDumps
{
    /// <summary>Gives the dump an id and its trigger, writes it as MessagePack, and disposes it.</summary>
    /// <returns>The store's outcome, the container as the header describes it, and the syscalls kept.</returns>
    public static async Task<(SaveOutcome Outcome, ContainerInfo Info, int Syscalls)> WriteAsync(
        DumpStore store, ContainerDump dump, DumpTrigger trigger, CancellationToken ct)
    {
        try
        {
            string id = store.Ids.Next();
            dump.Trigger = trigger;
            dump.DumpId = id;
            var msgpack = new MemoryStream(64 * 1024);
            await DumpWriter.WriteAsync(msgpack, dump, DumpFormat.MessagePack, last: null, ct).ConfigureAwait(false);
            DumpHeader header = dump.ToHeader(null);
            int syscalls = dump.Events.Count(e => e.Type == TraceEventType.Syscall);
            SaveOutcome outcome;
            try
            {
                outcome = store.Save(id, header, msgpack.GetBuffer().AsSpan(0, (int)msgpack.Length), DumpStore.KeyOf(header.Container));
            }
            catch
            {
                store.Counts.CountFailure(trigger.Kind);
                throw;
            }
            store.Counts.Count(trigger.Kind, outcome);
            return (outcome, header.Container, syscalls);
        }
        finally
        {
            dump.Dispose();
        }
    }
}
