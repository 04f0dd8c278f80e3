using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using Traceloop.Api;

namespace Traceloop.Recorder.Store;

/// <summary>What <see cref="DumpStore.Save"/> did.</summary>
/// <param name="Saved">The dump as listed; null when nothing was written.</param>
/// <param name="Refusal">Why nothing was written (the disk is below its floor, nothing was recorded), as one sentence.</param>
/// <param name="NothingRecorded">Nothing was written because the container had no ring to take a snapshot of.</param>
internal readonly record struct SaveOutcome(SavedDumpInfo? Saved, string? Refusal, long RawBytes, IReadOnlyList<string> Removed, bool NothingRecorded = false);

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

    /// <summary>A sidecar is a few kilobytes; a larger one is not read, and its dump is listed as corrupt.</summary>
    public const int MaxSidecarBytes = 1 << 20;

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

    /// <summary>What was written here since start, by trigger, for /metrics.</summary>
    public SavedDumpCounts Counts { get; } = new();

    /// <summary>Free bytes on the data directory's file system; a seam for tests of the floor.</summary>
    public Func<string, long> FreeBytes { get; init; } = dir => new DriveInfo(dir).AvailableFreeSpace;

    /// <summary>
    /// Creates the directory (owner-only) and indexes what it holds from the sidecars, without
    /// decompressing a dump: what start-up costs does not grow with the dumps' size. A dump
    /// without a readable sidecar is listed from its header (a bounded prefix); anything named
    /// like a dump that is not one (a symbolic link, a FIFO, a directory, an empty file, a
    /// bomb, garbage) is listed as corrupt with the reason, never followed, never waited on.
    /// Writes a crash interrupted and sidecars whose dump is gone are removed. Idempotent.
    /// </summary>
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
            var dumps = new List<string>();
            var sidecars = new List<string>();
            foreach (string path in System.IO.Directory.EnumerateFileSystemEntries(Directory))
            {
                string name = Path.GetFileName(path);
                if (AtomicFile.IsTemporary(name))
                {
                    RemoveLeftover(path); // a write the recorder did not finish
                }
                else if (IdOf(name, DumpFile.Extension) is { } dump)
                {
                    dumps.Add(dump);
                }
                else if (IdOf(name, SidecarExtension) is { } sidecar)
                {
                    sidecars.Add(sidecar);
                }
            }
            int corrupt = 0;
            foreach (string id in dumps)
            {
                if (Index(id) is { } record)
                {
                    corrupt += record.Info.Corrupt ? 1 : 0;
                    _index[id] = record;
                }
            }
            foreach (string id in sidecars.Where(id => !_index.ContainsKey(id)))
            {
                RemoveLeftover(SidecarPath(id)); // its dump was deleted by a recorder that stopped before removing it
            }
            _opened = true;
            LogOpened(_logger, _index.Count, corrupt, Directory);
        }
    }

    private static string? IdOf(string name, string extension) =>
        name.EndsWith(extension, StringComparison.Ordinal) && DumpIdGenerator.IsValid(name[..^extension.Length]) ? name[..^extension.Length] : null;

    /// <summary>Removes a file start-up does not keep; a directory of that name is left alone, and a failure never stops start-up.</summary>
    private void RemoveLeftover(string path)
    {
        try
        {
            if (RegularFile.NotRegular(path, out _) is not "a directory")
            {
                File.Delete(path); // unlinks a symbolic link, never what it points to
            }
        }
        catch (FileNotFoundException)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogLeftover(_logger, Path.GetFileName(path), e.Message);
        }
    }

    /// <summary>Lists one dump from its sidecar, else its header, else as corrupt with the reason; null when it vanished meanwhile.</summary>
    private SavedDumpRecord? Index(string id)
    {
        string path = DumpPath(id);
        long size = 0;
        SavedDumpRecord? sidecar = null;
        try
        {
            if (RegularFile.NotRegular(path, out size) is { } what)
            {
                return Corrupt(id, null, size, $"it is {what}, not a regular file");
            }
            if (size == 0)
            {
                return Corrupt(id, null, size, "it is empty");
            }
            (sidecar, string? problem) = ReadSidecar(id);
            if (problem is not null)
            {
                return Corrupt(id, null, size, problem);
            }
            if (sidecar is not null && sidecar.Info.Id == id && !sidecar.Info.Corrupt)
            {
                // The sidecar is written after the dump is durably in place: it vouches for a
                // complete file, and a size that differs says the file changed since.
                return sidecar.Info.SizeBytes == size
                    ? sidecar
                    : Corrupt(id, sidecar, size, $"it is {size} bytes, its sidecar says {sidecar.Info.SizeBytes}");
            }
            DumpHeader header = DumpFile.ReadHeader(path);
            return new SavedDumpRecord { Info = InfoOf(id, header, size), Key = KeyOf(header.Container) };
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever a damaged file throws, it is listed, and the next file is read.
            return Corrupt(id, sidecar, size, e.Message);
        }
    }

    private SavedDumpRecord Corrupt(string id, SavedDumpRecord? sidecar, long size, string reason)
    {
        LogCorrupt(_logger, id, reason);
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
                Error = $"dump file {id}{DumpFile.Extension} cannot be read: {reason}",
                Node = sidecar?.Info.Node,
                TraceloopVersion = sidecar?.Info.TraceloopVersion,
            },
        };
    }

    /// <summary>
    /// The sidecar, or null when there is none or it does not parse (the dump's header stands in);
    /// a problem that makes the dump suspect (the sidecar is a link, a FIFO, or huge) as a reason.
    /// </summary>
    private (SavedDumpRecord? Sidecar, string? Problem) ReadSidecar(string id)
    {
        string name = id + SidecarExtension;
        try
        {
            using SafeFileHandle fd = RegularFile.Open(SidecarPath(id), out long size);
            if (size > MaxSidecarBytes)
            {
                return (null, $"its sidecar {name} is {size} bytes, more than the {MaxSidecarBytes} a sidecar can be");
            }
            byte[] json = new byte[size];
            int read = 0;
            for (int n; read < json.Length && (n = RandomAccess.Read(fd, json.AsSpan(read), read)) > 0;)
            {
                read += n;
            }
            return (JsonSerializer.Deserialize(json.AsSpan(0, read), StoreJsonContext.Default.SavedDumpRecord), null);
        }
        catch (CorruptDumpException e)
        {
            return (null, $"its sidecar {name}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// Writes a dump (its MessagePack stream, header included) and its sidecar, then applies
    /// retention. Nothing is written while the file system is below its free-space floor. The
    /// files are written beside their names first; they take their names, and the dump joins
    /// the index, under the lock, so a delete or retention never meets half of a save.
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
        var record = new SavedDumpRecord { Info = InfoOf(id, header, compressed.Length), Key = key, RawBytes = msgpack.Length };
        string dumpTemp = AtomicFile.WriteTemporary(DumpPath(id), compressed);
        string? sidecarTemp = null;
        try
        {
            sidecarTemp = AtomicFile.WriteTemporary(SidecarPath(id), JsonSerializer.SerializeToUtf8Bytes(record, StoreJsonContext.Default.SavedDumpRecord));
        }
        catch (IOException e)
        {
            // The dump itself is safe; its header will list it after a restart.
            LogSidecarFailed(_logger, id, e.Message);
        }
        List<string> removed;
        lock (_gate)
        {
            try
            {
                AtomicFile.Commit(dumpTemp, DumpPath(id));
            }
            catch
            {
                if (sidecarTemp is not null)
                {
                    AtomicFile.Discard(sidecarTemp);
                }
                throw;
            }
            if (sidecarTemp is not null)
            {
                CommitSidecar(id, sidecarTemp);
            }
            _index[id] = record;
            removed = ApplyRetention();
        }
        return new SaveOutcome(record.Info, null, msgpack.Length, removed);
    }

    /// <summary>
    /// Changes a dump's sidecar (what the kubelet reported later, the pod's names) and re-applies
    /// retention; false when the dump is gone. The sidecar is written under the lock: a delete
    /// meanwhile cannot leave it behind.
    /// </summary>
    public bool Update(string id, Func<SavedDumpRecord, SavedDumpRecord> change)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(id, out SavedDumpRecord? record) || record.Info.Corrupt)
            {
                return false;
            }
            SavedDumpRecord updated = change(record);
            _index[id] = updated;
            try
            {
                CommitSidecar(id, AtomicFile.WriteTemporary(SidecarPath(id), JsonSerializer.SerializeToUtf8Bytes(updated, StoreJsonContext.Default.SavedDumpRecord)));
            }
            catch (IOException e)
            {
                LogSidecarFailed(_logger, id, e.Message);
            }
            ApplyRetention();
        }
        return true;
    }

    private void CommitSidecar(string id, string temp)
    {
        try
        {
            AtomicFile.Commit(temp, SidecarPath(id));
        }
        catch (IOException e)
        {
            // The dump itself is safe; its header will list it after a restart.
            LogSidecarFailed(_logger, id, e.Message);
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
    /// A file whose content is wrong is marked corrupt and the exception says why; a dump deleted
    /// meanwhile (by DELETE or retention) is a <see cref="FileNotFoundException"/>; a failed read
    /// is an <see cref="IOException"/> and marks nothing, as the next read may succeed.
    /// </summary>
    public (DumpHeader Header, List<TraceEventDto> Events) Read(string id)
    {
        SavedDumpRecord record = FindRecord(id) ?? throw NoSuchDump(id);
        if (record.Info.Corrupt)
        {
            throw new CorruptDumpException(record.Info.Error ?? "the file cannot be read");
        }
        DumpHeader header;
        List<TraceEventDto> events;
        try
        {
            // Its sidecar knows exactly what it decodes to; a dump listed from its header gets the general limit.
            (header, events) = DumpFile.Read(DumpPath(id), record.RawBytes > 0 ? record.RawBytes : DumpFile.MaxDecodedBytes);
        }
        catch (FileNotFoundException)
        {
            throw NoSuchDump(id);
        }
        catch (CorruptDumpException e)
        {
            lock (_gate)
            {
                if (!_index.TryGetValue(id, out SavedDumpRecord? r))
                {
                    throw NoSuchDump(id); // deleted while it was read
                }
                if (ReferenceEquals(r, record))
                {
                    r.Info = With(r.Info, corrupt: $"dump file {id}{DumpFile.Extension} cannot be read: {e.Message}");
                    LogCorrupt(_logger, id, e.Message);
                }
            }
            throw new CorruptDumpException($"saved dump {id} cannot be read: {e.Message}", e);
        }
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
            CompleteFrom = header.CompleteFrom,
        }, events);
    }

    private static FileNotFoundException NoSuchDump(string id) => new($"no saved dump has id '{id}'");

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
        foreach (string path in (string[])[DumpPath(id), SidecarPath(id)])
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A directory named like a dump, or a read-only file system: the index forgets it all the same.
                LogLeftover(_logger, Path.GetFileName(path), e.Message);
            }
        }
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

    [LoggerMessage(EventId = 705, Level = LogLevel.Warning, Message = "Could not remove {Name} from the dumps directory: {Reason}")]
    private static partial void LogLeftover(ILogger logger, string name, string reason);
}
