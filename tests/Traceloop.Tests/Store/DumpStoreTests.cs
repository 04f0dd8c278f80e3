using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Traceloop.Api;
using Traceloop.Api.MessagePack;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Hosting;
using Traceloop.Recorder.Store;
using Traceloop.Tests.Api;

namespace Traceloop.Tests.Store;

public sealed class DumpStoreTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("traceloop-store-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    private DumpStore NewStore(int perContainer = 3, string maxBytes = "1G", string minFree = "0", long free = long.MaxValue / 2) =>
        new(Options.Create(StoreOptions.From(new RecorderOptions { DataDir = _dataDir },
                new CrashOptions { DumpsPerContainer = perContainer, DumpsMaxBytes = maxBytes, DumpsMinFreeBytes = minFree })),
            TimeProvider.System, NullLogger<DumpStore>.Instance)
        { FreeBytes = _ => free };

    private static (DumpHeader, byte[]) Dump(string id, string containerId, string kind = DumpTriggerKinds.Exit)
    {
        TraceEventDto[] events = ApiSamples.AllEvents();
        var header = new DumpHeader
        {
            Container = new ContainerInfo { Id = containerId, CgroupPath = "/kubepods/x/" + containerId, FirstSeen = DateTimeOffset.UtcNow },
            TakenAt = DateTimeOffset.UtcNow,
            Events = events.Length,
            TraceloopVersion = "test",
            Trigger = new DumpTrigger { Kind = kind, ExitCode = 1 },
            DumpId = id,
        };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        TraceloopMessagePack.WriteHeader(buffer, header);
        foreach (TraceEventDto e in events)
        {
            TraceloopMessagePack.WriteEvent(buffer, e);
        }
        return (header, buffer.WrittenSpan.ToArray());
    }

    private static string Save(DumpStore store, string containerId, string? key = null)
    {
        string id = store.Ids.Next();
        (DumpHeader header, byte[] msgpack) = Dump(id, containerId);
        Assert.NotNull(store.Save(id, header, msgpack, key ?? containerId).Saved);
        return id;
    }

    [Fact]
    public void RetentionKeepsTheNewestPerContainer_OnDiskToo_AndARestartFindsThemAgain()
    {
        DumpStore store = NewStore(perContainer: 3);
        List<string> a = [.. Enumerable.Range(0, 5).Select(_ => Save(store, "aaaa"))];
        string b = Save(store, "bbbb");
        Assert.Equal([b, a[4], a[3], a[2]], store.List(new SavedDumpQuery()).Select(d => d.Id));
        Assert.Equal(8, Directory.GetFiles(store.Directory).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));

        DumpStore reopened = NewStore(perContainer: 3);
        Assert.Equal([b, a[4], a[3], a[2]], reopened.List(new SavedDumpQuery()).Select(d => d.Id));
        Assert.Equal(DumpTriggerKinds.Exit, reopened.Read(a[4]).Header.Trigger!.Kind);
        Assert.Equal([b], reopened.List(new SavedDumpQuery(Container: "bbbb")).Select(d => d.Id));
        Assert.Empty(reopened.List(new SavedDumpQuery(Trigger: DumpTriggerKinds.Oom)));
    }

    [Fact]
    public void ACorruptFileIsListedAsCorrupt_WithoutItsSidecarToo_AndTheOthersAreServed()
    {
        DumpStore store = NewStore();
        string good = Save(store, "aaaa");
        string bad = Save(store, "bbbb");
        File.WriteAllBytes(store.DumpPath(bad), File.ReadAllBytes(store.DumpPath(bad))[..40]);
        string stray = DumpIdGenerator.Format(DateTimeOffset.UtcNow.AddDays(-1), "00000000");
        File.WriteAllText(store.DumpPath(stray), "hello");
        File.WriteAllText(Path.Join(store.Directory, ".half-written.msgpack.lz4.tmp"), "x");

        DumpStore reopened = NewStore();
        List<SavedDumpInfo> listed = reopened.List(new SavedDumpQuery());
        Assert.Equal([bad, good, stray], listed.Select(d => d.Id));
        Assert.Equal((true, false, true), (listed[0].Corrupt, listed[1].Corrupt, listed[2].Corrupt));
        Assert.Equal("bbbb", listed[0].Container!.Id); // from the sidecar
        Assert.Null(listed[2].Container);
        Assert.Throws<CorruptDumpException>(() => reopened.Read(bad));
        Assert.Equal(ApiSamples.AllEvents().Length, reopened.Read(good).Events.Count);
        Assert.False(File.Exists(Path.Join(store.Directory, ".half-written.msgpack.lz4.tmp")));
        Assert.True(reopened.Delete(bad));
        Assert.False(reopened.Delete(bad));
        Assert.False(File.Exists(reopened.DumpPath(bad)));
    }

    [Fact]
    public void BelowTheFreeSpaceFloor_NothingIsWritten()
    {
        DumpStore store = NewStore(minFree: "512M", free: 100L << 20);
        string id = store.Ids.Next();
        (DumpHeader header, byte[] msgpack) = Dump(id, "aaaa");
        SaveOutcome outcome = store.Save(id, header, msgpack, "aaaa");
        Assert.Null(outcome.Saved);
        Assert.Contains("below the 512 MiB floor", outcome.Refusal, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(store.Directory));
    }

    [Fact]
    public void AnUpdateRekeysTheDump_AndRetentionFollows()
    {
        DumpStore store = NewStore(perContainer: 1);
        string first = Save(store, "aaaa", key: "aaaa");
        string second = Save(store, "bbbb", key: "bbbb");
        Assert.Equal(2, store.List(new SavedDumpQuery()).Count);
        // The kubelet names both the same container (a restart): only the newest stays.
        Assert.True(store.Update(first, r => { r.Key = "ns/pod/app"; return r; }));
        Assert.True(store.Update(second, r => { r.Key = "ns/pod/app"; return r; }));
        Assert.Equal([second], store.List(new SavedDumpQuery()).Select(d => d.Id));
        Assert.False(store.Update(first, r => r));
    }

    [Fact]
    public async Task AHostileDataDirNeverStopsStartUp_EachThingIsListedAsCorruptWithAReason_AndAGoodDumpIsServed()
    {
        DumpStore store = NewStore();
        string good = Save(store, "aaaa");
        string hugeSidecar = Save(store, "bbbb");
        File.WriteAllBytes(Path.Join(store.Directory, hugeSidecar + ".meta.json"), new byte[DumpStore.MaxSidecarBytes + 1]);
        DateTimeOffset day = DateTimeOffset.UtcNow.AddDays(-1);
        string Stray(int n) => DumpIdGenerator.Format(day.AddMinutes(n), $"0000000{n}");
        File.CreateSymbolicLink(store.DumpPath(Stray(1)), "/etc/passwd");
        MakeFifo(store.DumpPath(Stray(2)));
        File.WriteAllBytes(store.DumpPath(Stray(3)), []);
        File.WriteAllBytes(store.DumpPath(Stray(4)), [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 131 + 17))]);
        File.WriteAllBytes(store.DumpPath(Stray(5)), DumpFile.Compress(new byte[DumpFile.MaxDecodedBytes + (1 << 20)]));
        Directory.CreateDirectory(store.DumpPath(Stray(6)));
        MakeFifo(Path.Join(store.Directory, Stray(7) + ".meta.json")); // a FIFO where a sidecar would be, its dump absent
        string fifoSidecar = Save(store, "cccc");
        File.Delete(Path.Join(store.Directory, fifoSidecar + ".meta.json"));
        MakeFifo(Path.Join(store.Directory, fifoSidecar + ".meta.json")); // a FIFO where a good dump's sidecar is

        DumpStore reopened = NewStore();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Run(reopened.Open).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Open took {clock.Elapsed}");

        Dictionary<string, SavedDumpInfo> listed = reopened.List(new SavedDumpQuery()).ToDictionary(d => d.Id);
        Assert.Equal(9, listed.Count);
        Assert.False(listed[good].Corrupt);
        Assert.Contains("sidecar", listed[hugeSidecar].Error, StringComparison.Ordinal);
        Assert.Contains("FIFO", listed[fifoSidecar].Error, StringComparison.Ordinal);
        Assert.Contains("symbolic link", listed[Stray(1)].Error, StringComparison.Ordinal);
        Assert.Contains("FIFO", listed[Stray(2)].Error, StringComparison.Ordinal);
        Assert.Contains("empty", listed[Stray(3)].Error, StringComparison.Ordinal);
        Assert.Contains("directory", listed[Stray(6)].Error, StringComparison.Ordinal);
        Assert.All(listed.Values.Where(d => d.Id != good), d => Assert.True(d.Corrupt && !string.IsNullOrWhiteSpace(d.Error), d.Id));
        Assert.Equal(ApiSamples.AllEvents().Length, reopened.Read(good).Events.Count);
        foreach (string id in listed.Keys.Where(id => id != good))
        {
            Assert.Throws<CorruptDumpException>(() => reopened.Read(id));
        }

        // Deleting the link removes the link, never what it points to.
        Assert.True(reopened.Delete(Stray(1)));
        Assert.False(File.Exists(store.DumpPath(Stray(1))));
        Assert.True(File.Exists("/etc/passwd"));
        Assert.True(reopened.Delete(Stray(6))); // a directory stays on disk, the index forgets it
        Assert.False(File.Exists(Path.Join(store.Directory, Stray(7) + ".meta.json"))); // an orphan, removed at start without blocking
    }

    private static void MakeFifo(string path) => Assert.Equal(0, NativeFifo.mkfifo(path, 0x180));

    [Fact]
    public void StartUpIndexesFromTheSidecars_WithoutDecompressingADump_AndOnlyAReadFindsADamagedBody()
    {
        DumpStore store = NewStore(perContainer: 1000);
        List<string> ids = [.. Enumerable.Range(0, 200).Select(i => Save(store, $"c{i % 20:x4}"))];
        foreach (string id in ids)
        {
            // Same length, not a dump at all: only decompressing it would tell.
            File.WriteAllBytes(store.DumpPath(id), new byte[new FileInfo(store.DumpPath(id)).Length]);
        }

        DumpStore reopened = NewStore(perContainer: 1000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        reopened.Open();
        clock.Stop();
        List<SavedDumpInfo> listed = reopened.List(new SavedDumpQuery());
        Assert.Equal(200, listed.Count);
        Assert.All(listed, d => Assert.False(d.Corrupt, d.Error));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Open took {clock.Elapsed}");

        // A definite format error found by a read marks the dump corrupt.
        Assert.Throws<CorruptDumpException>(() => reopened.Read(ids[0]));
        Assert.True(reopened.Find(ids[0])!.Corrupt);
        Assert.False(reopened.Find(ids[1])!.Corrupt);
    }

    [Fact]
    public void ADumpWithoutItsSidecarIsListedFromItsHeader()
    {
        DumpStore store = NewStore();
        string id = Save(store, "aaaa");
        File.Delete(Path.Join(store.Directory, id + ".meta.json"));

        SavedDumpInfo listed = Assert.Single(NewStore().List(new SavedDumpQuery()));
        Assert.False(listed.Corrupt, listed.Error);
        Assert.Equal("aaaa", listed.Container!.Id);
        Assert.Equal(ApiSamples.AllEvents().Length, listed.Events);
    }

    [Fact]
    public void StartUpRemovesLeftoverTemporaryFilesAndOrphanSidecars_AndLeavesDirectoriesAlone()
    {
        DumpStore store = NewStore();
        string good = Save(store, "aaaa");
        string orphan = Save(store, "bbbb");
        File.Delete(store.DumpPath(orphan));
        File.WriteAllText(Path.Join(store.Directory, $".{good}.msgpack.lz4.0123abcd.tmp"), "half");
        File.WriteAllText(Path.Join(store.Directory, $".{good}.meta.json.89abcdef.tmp"), "{");
        File.CreateSymbolicLink(Path.Join(store.Directory, ".link.tmp"), "/etc/passwd");
        Directory.CreateDirectory(Path.Join(store.Directory, ".dir.tmp"));

        Assert.Equal([good], NewStore().List(new SavedDumpQuery()).Select(d => d.Id));
        Assert.Equal(
            [".dir.tmp", good + ".meta.json", good + DumpFile.Extension],
            Directory.GetFileSystemEntries(store.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.Exists("/etc/passwd"));
    }

    [Fact]
    public void EveryWriteUsesAFreshTemporaryName()
    {
        string path = Path.Join(_dataDir, "x.json");
        string a = AtomicFile.WriteTemporary(path, "a"u8);
        string b = AtomicFile.WriteTemporary(path, "b"u8);
        Assert.NotEqual(a, b);
        Assert.True(AtomicFile.IsTemporary(Path.GetFileName(a)));
        AtomicFile.Commit(b, path);
        AtomicFile.Commit(a, path);
        Assert.Equal("a", File.ReadAllText(path));
        Assert.Equal(["x.json"], Directory.GetFiles(_dataDir).Select(Path.GetFileName));
    }

    [Fact]
    public void ADumpWhoseFileVanishedIsNotFound_NotCorrupt()
    {
        DumpStore store = NewStore();
        string id = Save(store, "aaaa");
        File.Delete(store.DumpPath(id));
        Assert.Throws<FileNotFoundException>(() => store.Read(id));
        Assert.False(store.Find(id)!.Corrupt);
    }

    [Fact]
    public async Task SavesDeletesRetentionAndReadsOfTheSameIdsRace_ReadsSeeTheDumpOrNotFound_AndNoFileIsLeftOver()
    {
        DumpStore store = NewStore(perContainer: 2);
        string[] ids = [.. Enumerable.Range(0, 6).Select(_ => store.Ids.Next())];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        int reads = 0, notFound = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        // A thread each: pool threads would start one by one while the others spin.
        Task Loop(Action<string> step) => Task.Factory.StartNew(() => failures.EnqueueAll(() =>
        {
            var random = new Random();
            while (!stop.IsCancellationRequested)
            {
                step(ids[random.Next(ids.Length)]);
            }
        }), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Task[] workers =
        [
            .. Enumerable.Range(0, 2).Select(_ => Loop(id =>
            {
                (DumpHeader header, byte[] msgpack) = Dump(id, "aaaa");
                Assert.NotNull(store.Save(id, header, msgpack, "aaaa").Saved); // one key: retention removes all but the newest two
            })),
            Loop(id => store.Delete(id)),
            Loop(id => store.Update(id, r => r)),
            .. Enumerable.Range(0, 2).Select(_ => Loop(id =>
            {
                try
                {
                    Assert.Equal(ApiSamples.AllEvents().Length, store.Read(id).Events.Count);
                    Interlocked.Increment(ref reads);
                }
                catch (FileNotFoundException)
                {
                    Interlocked.Increment(ref notFound);
                }
            })),
        ];
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(failures);
        Assert.True(reads > 0 && notFound > 0, $"{reads} reads, {notFound} not found");
        List<SavedDumpInfo> listed = store.List(new SavedDumpQuery());
        Assert.All(listed, d => Assert.False(d.Corrupt, d.Error));
        string[] expected = [.. listed.SelectMany(d => (string[])[d.Id + ".meta.json", d.Id + DumpFile.Extension]).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, Directory.GetFileSystemEntries(store.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}

internal static class FailureQueue
{
    /// <summary>Runs <paramref name="body"/>, keeping whatever it throws for the test to assert on.</summary>
    public static void EnqueueAll(this System.Collections.Concurrent.ConcurrentQueue<Exception> failures, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            failures.Enqueue(e);
        }
    }
}

internal static partial class NativeFifo
{
    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    internal static partial int mkfifo(string path, uint mode);
}
