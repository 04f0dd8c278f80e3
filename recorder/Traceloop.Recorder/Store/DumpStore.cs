using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Api;

namespace Traceloop.Recorder.Store;

/// <summary>What <see cref="DumpStore.Save"/> did.</summary>
/// <param name="Saved">The dump as listed; null when nothing was written.</param>
/// <param name="Refusal">Why nothing was written (the disk is below its floor), as one sentence.</param>
internal readonly record struct SaveOutcome(SavedDumpInfo? Saved, string? Refusal, long RawBytes, IReadOnlyList<string> Removed);

/// <summary>
/// The saved dumps under &lt;data-dir&gt;/dumps: one LZ4-compressed MessagePack file per dump
/// (<see cref="DumpFile"/>) and its sidecar (<see cref="SavedDumpRecord"/>). The index is rebuilt
/// from the directory at start, so dumps outlive the recorder and the node; a file that cannot be
/// read is listed as corrupt and never keeps the others from being served. Retention runs after
/// every write (<see cref="RetentionPolicy"/>).
/// </summary>
internal sealed partial class DumpStore
{
    private const string SidecarExtension = ".meta.json";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, SavedDumpRecord> _index = new(StringComparer.Ordinal);
    private readonly RetentionPolicy _retention;
    private readonly long _minFree;
    private readonly ILogger<DumpStore> _logger;
    private bool _opened;

    public DumpStore(IOptions<DumpStoreOptions> options, TimeProvider time, ILogger<DumpStore> logger)
    {
        Directory = options.Value.Directory;
        _retention = new RetentionPolicy(options.Value.PerContainer, options.Value.MaxBytes);
        _minFree = options.Value.MinFreeBytes;
        Ids = new DumpIdGenerator(time);
        _logger = logger;
    }

    public string Directory { get; }

    public DumpIdGenerator Ids { get; }

    /// <summary>Free bytes on the data directory's file system; a seam for tests of the floor.</summary>
    public Func<string, long> FreeBytes { get; init; } = dir => new DriveInfo(dir).AvailableFreeSpace;

    /// <summary>Creates the directory (owner-only) and indexes what it holds. Idempotent.</summary>
    public void Open()
    {
        lock (_gate)
        {
            if (_opened)
            {
                return;
            }
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // An existing directory keeps its mode unless we tighten it: dumps hold arguments and payloads.
            File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            int corrupt = 0;
            foreach (string path in System.IO.Directory.EnumerateFiles(Directory))
            {
                string name = Path.GetFileName(path);
                if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
                {
                    File.Delete(path); // a write the recorder did not finish
                    continue;
                }
                if (!name.EndsWith(DumpFile.Extension, StringComparison.Ordinal) || !DumpIdGenerator.IsValid(name[..^DumpFile.Extension.Length]))
                {
                    continue;
                }
                SavedDumpRecord record = Index(name[..^DumpFile.Extension.Length]);
                corrupt += record.Info.Corrupt ? 1 : 0;
                _index[record.Info.Id] = record;
            }
            _opened = true;
            LogOpened(_logger, _index.Count, corrupt, Directory);
        }
    }

    /// <summary>Reads one dump file back (its sidecar when it has one) to list it; a file that does not read back is listed as corrupt.</summary>
    private SavedDumpRecord Index(string id)
    {
        string path = DumpPath(id);
        long size = new FileInfo(path).Length;
        SavedDumpRecord? sidecar = ReadSidecar(id);
        try
        {
            (DumpHeader header, _) = DumpFile.Read(path);
            if (sidecar is not null && sidecar.Info.Id == id)
            {
                sidecar.Info = With(sidecar.Info, sizeBytes: size);
                return sidecar;
            }
            return new SavedDumpRecord { Info = InfoOf(id, header, size), Key = KeyOf(header.Container) };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever a damaged file throws, it is listed, and the next file is read.
            LogCorrupt(_logger, id, e.Message);
            return new SavedDumpRecord
            {
                Info = new SavedDumpInfo
                {
                    Id = id,
                    Container = sidecar?.Info.Container,
                    Trigger = sidecar?.Info.Trigger,
                    TakenAt = sidecar?.Info.TakenAt ?? TakenAtOf(id),
                    SizeBytes = size,
                    Corrupt = true,
                    Error = $"dump file {id}{DumpFile.Extension} cannot be read: {e.Message}",
                    Node = sidecar?.Info.Node,
                    TraceloopVersion = sidecar?.Info.TraceloopVersion,
                },
            };
        }
    }

    private SavedDumpRecord? ReadSidecar(string id)
    {
        try
        {
            byte[] json = File.ReadAllBytes(SidecarPath(id));
            return JsonSerializer.Deserialize(json, StoreJsonContext.Default.SavedDumpRecord);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // the dump file's own header stands in for it
        }
    }

    /// <summary>
    /// Writes a dump (its MessagePack stream, header included) and its sidecar, then applies
    /// retention. Nothing is written while the file system is below its free-space floor.
    /// </summary>
    public SaveOutcome Save(string id, DumpHeader header, ReadOnlySpan<byte> msgpack, string? key)
    {
        Open();
        long free = FreeBytes(Directory);
        byte[] compressed = DumpFile.Compress(msgpack);
        if (free - compressed.Length < _minFree)
        {
            string refusal = $"only {free >> 20} MiB are free under {Directory}, below the {_minFree >> 20} MiB floor (DumpsMinFreeBytes): dump of container {header.Container.Id} not written";
            LogBelowFloor(_logger, refusal);
            return new SaveOutcome(null, refusal, msgpack.Length, []);
        }
        AtomicFile.Write(DumpPath(id), compressed);
        var record = new SavedDumpRecord { Info = InfoOf(id, header, compressed.Length), Key = key, RawBytes = msgpack.Length };
        WriteSidecar(record);
        List<string> removed;
        lock (_gate)
        {
            _index[id] = record;
            removed = ApplyRetention();
        }
        return new SaveOutcome(record.Info, null, msgpack.Length, removed);
    }

    /// <summary>Changes a dump's sidecar (what the kubelet reported later, the pod's names) and re-applies retention; false when the dump is gone.</summary>
    public bool Update(string id, Func<SavedDumpRecord, SavedDumpRecord> change)
    {
        SavedDumpRecord updated;
        lock (_gate)
        {
            if (!_index.TryGetValue(id, out SavedDumpRecord? record) || record.Info.Corrupt)
            {
                return false;
            }
            updated = change(record);
            _index[id] = updated;
        }
        WriteSidecar(updated);
        lock (_gate)
        {
            ApplyRetention();
        }
        return true;
    }

    private void WriteSidecar(SavedDumpRecord record)
    {
        try
        {
            AtomicFile.Write(SidecarPath(record.Info.Id), JsonSerializer.SerializeToUtf8Bytes(record, StoreJsonContext.Default.SavedDumpRecord));
        }
        catch (IOException e)
        {
            // The dump itself is safe; its header will list it after a restart.
            LogSidecarFailed(_logger, record.Info.Id, e.Message);
        }
    }

    private List<string> ApplyRetention()
    {
        List<string> victims = _retention.Victims([.. _index.Values.Select(r => new RetainedDump(r.Info.Id, r.Info.Corrupt ? null : r.Key, r.Info.SizeBytes, r.Info.TakenAt))]);
        foreach (string id in victims)
        {
            RemoveFiles(id);
            _index.Remove(id);
            LogRetired(_logger, id);
        }
        return victims;
    }

    /// <summary>Newest first; corrupt files included (marked) unless a filter needs what they lost.</summary>
    public List<SavedDumpInfo> List(SavedDumpQuery query)
    {
        Open();
        lock (_gate)
        {
            return [.. _index.Values.Select(r => r.Info)
                .Where(i => Matches(i, query))
                .OrderByDescending(i => i.TakenAt).ThenByDescending(i => i.Id, StringComparer.Ordinal)];
        }
    }

    private static bool Matches(SavedDumpInfo i, SavedDumpQuery q) =>
        (q.Namespace is null || i.Container?.Namespace == q.Namespace)
        && (q.Pod is null || i.Container?.Pod == q.Pod)
        && (q.Container is null || i.Container?.Container == q.Container || i.Container?.Id.StartsWith(q.Container, StringComparison.Ordinal) == true)
        && (q.Trigger is null || i.Trigger?.Kind == q.Trigger)
        && (q.Since is null || i.TakenAt >= q.Since);

    public SavedDumpInfo? Find(string id)
    {
        Open();
        lock (_gate)
        {
            return _index.TryGetValue(id, out SavedDumpRecord? r) ? r.Info : null;
        }
    }

    public SavedDumpRecord? FindRecord(string id)
    {
        Open();
        lock (_gate)
        {
            return _index.TryGetValue(id, out SavedDumpRecord? r) ? r : null;
        }
    }

    /// <summary>
    /// Reads a dump back with what its sidecar learnt since (trigger details, names) in the header.
    /// A file that no longer reads back is marked corrupt and the exception says why.
    /// </summary>
    public (DumpHeader Header, List<TraceEventDto> Events) Read(string id)
    {
        SavedDumpRecord record = FindRecord(id) ?? throw new FileNotFoundException($"no saved dump has id '{id}'");
        if (record.Info.Corrupt)
        {
            throw new CorruptDumpException(record.Info.Error ?? "the file cannot be read");
        }
        try
        {
            (DumpHeader header, List<TraceEventDto> events) = DumpFile.Read(DumpPath(id));
            return (new DumpHeader
            {
                FormatVersion = header.FormatVersion,
                Container = record.Info.Container ?? header.Container,
                TakenAt = header.TakenAt,
                WindowStart = header.WindowStart,
                WindowEnd = header.WindowEnd,
                Events = header.Events,
                EventsLost = header.EventsLost,
                TraceloopVersion = header.TraceloopVersion,
                Node = header.Node,
                Trigger = record.Info.Trigger ?? header.Trigger,
                DumpId = id,
            }, events);
        }
        catch (Exception e) when (e is CorruptDumpException or IOException)
        {
            lock (_gate)
            {
                if (_index.TryGetValue(id, out SavedDumpRecord? r))
                {
                    r.Info = With(r.Info, corrupt: $"dump file {id}{DumpFile.Extension} cannot be read: {e.Message}");
                }
            }
            throw new CorruptDumpException($"saved dump {id} cannot be read: {e.Message}", e);
        }
    }

    public bool Delete(string id)
    {
        Open();
        lock (_gate)
        {
            if (!_index.Remove(id))
            {
                return false;
            }
            RemoveFiles(id);
            return true;
        }
    }

    private void RemoveFiles(string id)
    {
        File.Delete(DumpPath(id));
        File.Delete(SidecarPath(id));
    }

    public string DumpPath(string id) => Path.Join(Directory, id + DumpFile.Extension);

    private string SidecarPath(string id) => Path.Join(Directory, id + SidecarExtension);

    /// <summary>Retention's identity of a container: its Kubernetes names across restarts, else its id.</summary>
    public static string KeyOf(ContainerInfo c) =>
        c.Namespace is not null && c.Pod is not null && c.Container is not null ? $"{c.Namespace}/{c.Pod}/{c.Container}" : c.Id;

    private static SavedDumpInfo InfoOf(string id, DumpHeader h, long size) => new()
    {
        Id = id,
        Container = h.Container,
        Trigger = h.Trigger,
        TakenAt = h.TakenAt,
        Events = h.Events,
        EventsLost = h.EventsLost,
        SizeBytes = size,
        Node = h.Node,
        TraceloopVersion = h.TraceloopVersion,
    };

    public static SavedDumpInfo With(SavedDumpInfo i, ContainerInfo? container = null, DumpTrigger? trigger = null, long? sizeBytes = null, string? corrupt = null) => new()
    {
        Id = i.Id,
        Container = container ?? i.Container,
        Trigger = trigger ?? i.Trigger,
        TakenAt = i.TakenAt,
        Events = i.Events,
        EventsLost = i.EventsLost,
        SizeBytes = sizeBytes ?? i.SizeBytes,
        Corrupt = corrupt is not null || i.Corrupt,
        Error = corrupt ?? i.Error,
        Node = i.Node,
        TraceloopVersion = i.TraceloopVersion,
    };

    private static DateTimeOffset TakenAtOf(string id) =>
        DateTimeOffset.ParseExact(id[..19], "yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal);

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Saved dumps: {Count} in {Directory} ({Corrupt} corrupt)")]
    private static partial void LogOpened(ILogger logger, int count, int corrupt, string directory);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Saved dump {Id} is corrupt: {Reason}")]
    private static partial void LogCorrupt(ILogger logger, string id, string reason);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Not saving a dump: {Reason}")]
    private static partial void LogBelowFloor(ILogger logger, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information, Message = "Removed saved dump {Id} (retention)")]
    private static partial void LogRetired(ILogger logger, string id);

    [LoggerMessage(EventId = 704, Level = LogLevel.Warning, Message = "Could not write the sidecar of saved dump {Id}: {Reason}")]
    private static partial void LogSidecarFailed(ILogger logger, string id, string reason);
}
