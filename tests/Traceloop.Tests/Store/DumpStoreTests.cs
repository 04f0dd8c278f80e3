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
}
