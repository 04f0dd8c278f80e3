using System.Diagnostics;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.Recorder.Containers;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The recorder is killed with SIGKILL while it saves dumps, again and again, on one data
/// directory: a dump is complete or absent. After each restart nothing the killed writes left
/// remains (no temporary file, no sidecar without its dump), nothing is listed as corrupt, every
/// listed dump decodes in full, and every snapshot the API acknowledged before the kill is there.
/// </summary>
[Collection(CrashStormTests.Alone)]
public sealed class KillDuringSaveTests(ITestOutputHelper output)
{
    // Kills go on until at least two of them left a write or a delete half done (a temporary
    // file, a sidecar without its dump: the window this test is about), at least MinKills, at most MaxKills.
    private const int MinKills = 6;
    private const int MaxKills = 16;
    private const int Kept = 4;
    private const int Writers = 3;
    private const int SIGKILL = 9;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task KilledWhileSaving_EveryDumpIsCompleteOrAbsent_AndStartLeavesNoLeftovers()
    {
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(Timeout);
        int seed = Environment.TickCount;
        var random = new Random(seed);
        string data = Directory.CreateTempSubdirectory("traceloop-kill-data-").FullName;
        string dumps = Path.Join(data, "dumps");
        // Busy containers whose 2 MiB rings fill within a second with barely compressible
        // payloads (random bytes): each snapshot is megabytes to encode, compress, write and sync.
        var containers = new List<RuncContainer>();
        var acknowledged = new HashSet<string>();
        var deleted = new HashSet<string>();
        var verified = new HashSet<string>();
        var report = new List<string>();
        int kills = 0, hits = 0;
        try
        {
            for (int i = 0; i < Writers; i++)
            {
                containers.Add(await RuncContainer.RunAsync(new ContainerSpec
                {
                    Args = ["sh", "-c", "while :; do dd if=/dev/urandom of=/dev/null bs=512 count=3000 2>/dev/null; sleep 1; done"],
                }, cts.Token));
            }
            // Crash dumps off: only this test's snapshots write here, not the crashes of other
            // containers on the host (every recorder records them all).
            // Enough slots for the containers already on the host too, so the writers always get rings.
            int present = CgroupFs.Locate("unified").Walk().Count(p => CgroupNaming.TryParse(p, out _));
            string[] args = ["--data-dir", data, "--ring-size", "2M", "--dumps-per-container", "1000", "--max-containers", $"{present + 8}",
                "--dump-on-exit", "false", "--dump-on-signal", "false", "--dump-on-oom", "false"];
            for (int kill = 1; ; kill++)
            {
                bool last = kill > MaxKills || (kill > MinKills && hits >= 2);
                await using RecorderProcess recorder = await RecorderProcess.StartAsync(args, cts.Token);
                // What the killed recorder acknowledged is whole, and what it left half done has been
                // cleaned. (Listing opens the store if the crash collector has not yet: /healthz
                // answers before the hosted services have started.)
                int checkedDumps = await AssertAllCompleteAsync(recorder, acknowledged, deleted, verified, cts.Token);
                AssertNoLeftovers(dumps);
                if (last)
                {
                    report.Add($"final start: {checkedDumps} new dumps read whole");
                    Assert.Equal(0, await recorder.StopAsync());
                    break;
                }

                await Eventually.TrueAsync(async () => (await recorder.Client.GetContainersAsync(cts.Token))
                    .Count(c => containers.Any(k => k.Id == c.Id) && c.EventsHeld > 5000) == Writers, TimeSpan.FromSeconds(20), "the writers' rings to fill");
                using var stop = new CancellationTokenSource();
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cts.Token);
                int saved = 0;
                Task[] writers =
                [
                    .. containers.Select(c => SnapshotLoopAsync(recorder, c.Id, acknowledged, () => Interlocked.Increment(ref saved), linked.Token)),
                    DeleteLoopAsync(recorder, acknowledged, deleted, linked.Token),
                ];
                await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref saved) >= 2), TimeSpan.FromSeconds(20), "the first snapshots");
                // Odd kills come at a random moment. A save spends most of its time encoding in
                // memory and only milliseconds with a file half written, so even kills wait for
                // a temporary file to appear (inotify) and strike at once; the rename may still win.
                if (kill % 2 == 1)
                {
                    await Task.Delay(random.Next(50, 800), cts.Token);
                }
                else
                {
                    await TemporaryFileAsync(dumps, TimeSpan.FromSeconds(3), cts.Token);
                }
                Assert.Equal(0, Containers.Interop.Libc.kill(recorder.Pid, SIGKILL));
                Assert.Equal(128 + SIGKILL, await recorder.StopAsync());
                kills = kill;
                stop.Cancel();
                await Task.WhenAll(writers);

                string[] temporary = [.. Directory.EnumerateFileSystemEntries(dumps).Select(Path.GetFileName).Where(n => n!.StartsWith('.') && n.EndsWith(".tmp", StringComparison.Ordinal))!];
                string[] orphans = [.. OrphanSidecars(dumps)];
                hits += temporary.Length + orphans.Length > 0 ? 1 : 0;
                report.Add($"kill {kill}: {checkedDumps} new dumps read whole at start; {saved} snapshots acknowledged in this run; left behind {temporary.Length} temporary files, {orphans.Length} sidecars without a dump");
            }
            Assert.True(hits > 0, $"none of {kills} kills met a save or a delete half done");
        }
        finally
        {
            await Task.WhenAll(containers.Select(c => c.DisposeAsync().AsTask()));
            output.WriteLine($"seed {seed}; {kills} kills, {hits} met a save or delete half done; {acknowledged.Count} snapshots acknowledged, {deleted.Count} deleted; {clock.Elapsed.TotalSeconds:0.0} s");
            output.WriteLine(string.Join('\n', report));
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task SnapshotLoopAsync(RecorderProcess recorder, string containerId, HashSet<string> acknowledged, Action onSaved, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                SavedDumpInfo saved = await recorder.Client.SnapshotContainerAsync(containerId, ct);
                lock (acknowledged)
                {
                    acknowledged.Add(saved.Id);
                }
                onSaved();
            }
            catch (Exception e) when (e is TraceloopApiException or OperationCanceledException or HttpRequestException or IOException)
            {
                // The recorder was killed under the request, or it answered 503 (every dump permit taken): go on until told to stop.
                await Task.Delay(10, CancellationToken.None);
            }
        }
    }

    /// <summary>Deletes acknowledged dumps now and then, so the kill also meets deletes (dump first, then sidecar).</summary>
    private static async Task DeleteLoopAsync(RecorderProcess recorder, HashSet<string> acknowledged, HashSet<string> deleted, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string? victim;
            lock (acknowledged)
            {
                // The oldest, while more than Kept are left: those must all survive every kill.
                List<string> alive = [.. acknowledged.Except(deleted).Order(StringComparer.Ordinal)];
                victim = alive.Count > Kept ? alive[0] : null;
                if (victim is not null)
                {
                    // Absent or present are both right once a delete was asked for.
                    deleted.Add(victim);
                }
            }
            try
            {
                if (victim is not null)
                {
                    await recorder.Client.DeleteSavedDumpAsync(victim, ct);
                }
                await Task.Delay(100, ct);
            }
            catch (Exception e) when (e is TraceloopApiException or OperationCanceledException or HttpRequestException or IOException)
            {
                await Task.Delay(10, CancellationToken.None);
            }
        }
    }

    /// <summary>Returns when a temporary file is created in <paramref name="dumps"/>, or after <paramref name="most"/>.</summary>
    private static async Task TemporaryFileAsync(string dumps, TimeSpan most, CancellationToken ct)
    {
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(dumps) { NotifyFilter = NotifyFilters.FileName };
        watcher.Created += (_, e) =>
        {
            if (e.Name is { } n && n.StartsWith('.') && n.EndsWith(".tmp", StringComparison.Ordinal))
            {
                created.TrySetResult();
            }
        };
        watcher.EnableRaisingEvents = true;
        try
        {
            await created.Task.WaitAsync(most, ct);
        }
        catch (TimeoutException)
        {
        }
    }

    private static void AssertNoLeftovers(string dumps)
    {
        if (!Directory.Exists(dumps))
        {
            return;
        }
        string[] names = [.. Directory.EnumerateFileSystemEntries(dumps).Select(p => Path.GetFileName(p)!)];
        Assert.True(!names.Any(n => n.EndsWith(".tmp", StringComparison.Ordinal)), $"temporary files after start: {string.Join(", ", names.Where(n => n.EndsWith(".tmp", StringComparison.Ordinal)))}");
        Assert.True(!OrphanSidecars(dumps).Any(), $"sidecars without their dump after start: {string.Join(", ", OrphanSidecars(dumps))}");
        Assert.All(names, n => Assert.True(n.EndsWith(".msgpack.lz4", StringComparison.Ordinal) || n.EndsWith(".meta.json", StringComparison.Ordinal), n));
    }

    private static IEnumerable<string> OrphanSidecars(string dumps) =>
        Directory.EnumerateFiles(dumps, "*.meta.json")
            .Where(p => !File.Exists(p[..^".meta.json".Length] + ".msgpack.lz4"))
            .Select(p => Path.GetFileName(p));

    /// <summary>
    /// Nothing listed is corrupt; every acknowledged dump not asked to be deleted is listed; each
    /// listed dump not read before decodes whole, with as many events as listed (a dump file is
    /// written once and never rewritten, so one read whole stays whole). Returns how many were read.
    /// </summary>
    private static async Task<int> AssertAllCompleteAsync(RecorderProcess recorder, HashSet<string> acknowledged, HashSet<string> deleted, HashSet<string> verified,
        CancellationToken ct)
    {
        List<SavedDumpInfo> listed = await recorder.Client.GetSavedDumpsAsync(ct: ct);
        Assert.All(listed, d => Assert.False(d.Corrupt, $"dump {d.Id} is listed as corrupt: {d.Error}"));
        string[] missing;
        lock (acknowledged)
        {
            missing = [.. acknowledged.Except(deleted).Except(listed.Select(d => d.Id))];
        }
        Assert.True(missing.Length == 0, $"acknowledged snapshots missing after the kill: {string.Join(", ", missing)}");
        int read = 0;
        foreach (SavedDumpInfo d in listed.Where(d => verified.Add(d.Id)))
        {
            read++;
            (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetSavedDumpAsync(d.Id, ct);
            Assert.Equal(d.Id, header.DumpId);
            Assert.True(events.Count > 0 && events.Count == d.Events, $"dump {d.Id}: {events.Count} events decoded, {d.Events} listed");
        }
        return read;
    }
}
