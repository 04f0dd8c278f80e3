namespace Traceloop.Recorder.Store;

/// <summary>One kept dump as retention sees it.</summary>
/// <param name="Key">The container identity dumps are counted by (namespace/pod/container across restarts, else the container id); null for a corrupt file.</param>
internal readonly record struct RetainedDump(string Id, string? Key, long SizeBytes, DateTimeOffset TakenAt);

/// <summary>
/// Which dumps go: beyond <see cref="PerContainer"/> for one container identity, the oldest of
/// it; then, while all of them together are over <see cref="MaxBytes"/>, the oldest of all.
/// The newest dump always stays, even alone over the budget: deleting what was just written
/// would keep nothing at all.
/// </summary>
internal sealed record RetentionPolicy(int PerContainer, long MaxBytes)
{
    public List<string> Victims(IReadOnlyCollection<RetainedDump> dumps)
    {
        var victims = new HashSet<string>(StringComparer.Ordinal);
        foreach (IGrouping<string, RetainedDump> group in dumps.Where(d => d.Key is not null).GroupBy(d => d.Key!, StringComparer.Ordinal))
        {
            foreach (RetainedDump old in Newest(group).Skip(PerContainer))
            {
                victims.Add(old.Id);
            }
        }
        List<RetainedDump> left = [.. Newest(dumps.Where(d => !victims.Contains(d.Id)))];
        long total = left.Sum(d => d.SizeBytes);
        for (int i = left.Count - 1; i > 0 && total > MaxBytes; i--)
        {
            victims.Add(left[i].Id);
            total -= left[i].SizeBytes;
        }
        return [.. victims.Order(StringComparer.Ordinal)];
    }

    private static IOrderedEnumerable<RetainedDump> Newest(IEnumerable<RetainedDump> dumps) =>
        dumps.OrderByDescending(d => d.TakenAt).ThenByDescending(d => d.Id, StringComparer.Ordinal);
}
