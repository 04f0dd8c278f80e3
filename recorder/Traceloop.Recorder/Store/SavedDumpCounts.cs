using System.Collections.Concurrent;

namespace Traceloop.Recorder.Store;

/// <summary>
/// Dumps written to the store since start, by trigger kind and result, with the bytes they took
/// on disk: what /metrics shows as traceloop_dumps_total and traceloop_dump_bytes_total.
/// </summary>
internal sealed class SavedDumpCounts
{
    public const string Saved = "saved";
    public const string Refused = "refused";
    public const string Failed = "failed";

    private readonly ConcurrentDictionary<(string Trigger, string Result), long> _dumps = new();
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    public void Count(string trigger, SaveOutcome outcome)
    {
        if (outcome.Saved is { } saved)
        {
            _dumps.AddOrUpdate((trigger, Saved), 1, (_, n) => n + 1);
            _bytes.AddOrUpdate(trigger, saved.SizeBytes, (_, n) => n + saved.SizeBytes);
        }
        else
        {
            _dumps.AddOrUpdate((trigger, Refused), 1, (_, n) => n + 1);
        }
    }

    public void CountFailure(string trigger) => _dumps.AddOrUpdate((trigger, Failed), 1, (_, n) => n + 1);

    public IReadOnlyList<KeyValuePair<(string Trigger, string Result), long>> Dumps => [.. _dumps];

    public IReadOnlyList<KeyValuePair<string, long>> Bytes => [.. _bytes];
}
