using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Containers;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// Finds the TLS code that the processes of recorded containers run and probes it: OpenSSL
/// libraries (and binaries that link it in) from each process's maps, and Go executables whose
/// crypto/tls can be located. A process is scanned when its exec notice arrives and again as its
/// libraries are mapped (<see cref="TlsOptions.Rescans"/>); every process of every recorded
/// container is scanned each <see cref="TlsOptions.SweepInterval"/>, which also detaches files no
/// such process maps anymore. A file is parsed once and probed once, by (device, inode). All of it
/// runs on one task of its own: parsing a large binary delays the next scan, never a recording.
/// </summary>
internal sealed partial class TlsProbeService(
    ITlsKernel kernel,
    ContainerRegistry registry,
    CgroupFs cgroups,
    IOptions<TlsOptions> options,
    TimeProvider time,
    ILogger<TlsProbeService> logger) : BackgroundService
{
    private readonly TlsOptions _options = options.Value;
    private readonly OpenSslDiscovery _openSsl = new();
    private readonly Dictionary<FileIdentity, GoTlsVerdict> _goVerdicts = [];
    private readonly HashSet<FileIdentity> _skipped = [];
    private readonly Dictionary<FileIdentity, string> _failed = [];
    private readonly PriorityQueue<int, long> _due = new();
    private readonly string? _unavailable = options.Value.Enabled ? options.Value.Unavailable() : null;
    private long _skippedCount;
    private long _attachFailures;

    /// <summary>The counts /version reports; null when the service is off.</summary>
    public TlsProbeStatus? Status() => _options.Enabled
        ? new TlsProbeStatus(kernel.AttachedFiles, kernel.AttachedProbes, Interlocked.Read(ref _skippedCount),
            Interlocked.Read(ref _attachFailures), kernel.ExecNoticesDropped, _unavailable)
        : null;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            LogOff(logger);
            return Task.CompletedTask;
        }
        if (_unavailable is not null)
        {
            // Recording goes on; only the plaintext is missing, and /version says why.
            LogUnavailable(logger, _unavailable);
            return Task.CompletedTask;
        }
        kernel.StartNotices();
        // Scans read files and parse ELF synchronously: a thread of their own, not the host's start.
        return Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        ChannelReader<ExecNotice> notices = kernel.ExecNotices;
        long nextSweep = 0;
        Task<bool>? waiting = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                while (notices.TryRead(out ExecNotice notice))
                {
                    long now = time.GetTimestamp();
                    foreach (TimeSpan delay in _options.Rescans)
                    {
                        _due.Enqueue(notice.Pid, now + Ticks(delay));
                    }
                }
                while (_due.TryPeek(out int pid, out long at) && at <= time.GetTimestamp())
                {
                    _due.Dequeue();
                    ScanProcess(pid, mapped: null);
                }
                if (time.GetTimestamp() >= nextSweep)
                {
                    Sweep();
                    nextSweep = time.GetTimestamp() + Ticks(_options.SweepInterval);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A fault in one scan must not end probing for every later process.
                LogScanFailed(logger, e);
            }

            long until = _due.TryPeek(out _, out long nextDue) ? Math.Min(nextDue, nextSweep) : nextSweep;
            TimeSpan wait = time.GetElapsedTime(time.GetTimestamp(), Math.Max(until, time.GetTimestamp()));
            waiting ??= notices.WaitToReadAsync(ct).AsTask();
            if (wait > TimeSpan.Zero)
            {
                await Task.WhenAny(waiting, Task.Delay(wait, time, ct)).ConfigureAwait(false);
            }
            if (waiting.IsCompleted)
            {
                if (waiting.IsCanceled || !await waiting.ConfigureAwait(false))
                {
                    return; // stopping, or the notices ended with the kernel side
                }
                waiting = null;
            }
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    /// <summary>Every process of every recorded container; then the files none of them maps lose their probes.</summary>
    private void Sweep()
    {
        var mapped = new HashSet<FileIdentity>();
        foreach (RecordedContainer container in registry.List())
        {
            foreach (int pid in Processes(cgroups.ToDirectory(container.CgroupPath)))
            {
                ScanProcess(pid, mapped);
            }
        }
        foreach (FileIdentity file in kernel.Attached.Where(f => !mapped.Contains(f)))
        {
            if (kernel.Detach(file))
            {
                LogDetached(logger, file.ToString());
            }
        }
        // A file that failed is tried again once it is mapped anew (a new version, another mount);
        // what an executable is, is forgotten once nothing runs it, so the cache stays as small as what runs.
        foreach (FileIdentity file in _failed.Keys.Where(f => !mapped.Contains(f)).ToList())
        {
            _failed.Remove(file);
        }
        foreach (FileIdentity file in _goVerdicts.Keys.Where(f => !mapped.Contains(f)).ToList())
        {
            _goVerdicts.Remove(file);
        }
        _openSsl.Retain(mapped);
        // A skipped binary is logged (and counted) once per time it runs: again if it comes back after a sweep without it.
        _skipped.RemoveWhere(f => !mapped.Contains(f));
    }

    /// <summary>The pids of a container's cgroup and of the cgroups nested in it (systemd in a container).</summary>
    private static List<int> Processes(string directory)
    {
        var pids = new List<int>();
        try
        {
            foreach (string procs in Directory.EnumerateFiles(directory, "cgroup.procs", SearchOption.AllDirectories))
            {
                foreach (string line in File.ReadAllLines(procs))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                    {
                        pids.Add(pid);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The container ended while it was read: its processes are gone with it.
        }
        return pids;
    }

    /// <summary>Probes what one process runs; adds every executable file it maps to <paramref name="mapped"/> when given.</summary>
    private void ScanProcess(int pid, HashSet<FileIdentity>? mapped)
    {
        string proc = Path.Join("/proc", pid.ToString(CultureInfo.InvariantCulture));
        List<ProcMapsEntry> entries;
        string? exe;
        try
        {
            entries = ProcMapsEntry.Parse(File.ReadAllText(Path.Join(proc, "maps")), out _);
            exe = new FileInfo(Path.Join(proc, "exe")).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // the process has gone (or is a kernel thread): nothing to probe
        }
        if (mapped is not null)
        {
            mapped.UnionWith(entries.Where(e => e.Executable && e.IsFile).Select(e => e.File));
        }

        OpenSslScan scan = _openSsl.Scan(pid);
        foreach (string unreadable in scan.Skipped)
        {
            LogUnreadable(logger, pid, unreadable);
        }
        foreach (OpenSslLibrary library in scan.Libraries)
        {
            if (!Wanted(library.File))
            {
                continue;
            }
            Attached(pid, library.HostPath, library.File, library.IsLibSsl ? "OpenSSL" : "OpenSSL linked in", kernel.AttachOpenSsl(library));
        }

        ProcMapsEntry? program = exe is null ? null : entries.FirstOrDefault(e => e.Executable && e.IsFile && e.Path == exe);
        if (program is null)
        {
            return;
        }
        string hostPath = Path.Join(proc, "root") + program.Path;
        if (!_goVerdicts.TryGetValue(program.File, out GoTlsVerdict? verdict))
        {
            verdict = GoTlsBinary.Inspect(hostPath);
            _goVerdicts[program.File] = verdict;
        }
        switch (verdict.Kind)
        {
            case GoTlsVerdictKind.Skip when _skipped.Add(program.File):
                Interlocked.Increment(ref _skippedCount);
                LogSkipped(logger, program.Path, pid, program.File.ToString(), verdict.Reason ?? "unknown");
                break;
            case GoTlsVerdictKind.Probe when Wanted(program.File):
                Attached(pid, hostPath, program.File, $"Go {verdict.Sites!.GoVersion} crypto/tls", kernel.AttachGo(program.File, hostPath, verdict.Sites));
                break;
        }
    }

    private bool Wanted(FileIdentity file) => !_failed.ContainsKey(file) && !kernel.IsAttached(file);

    private void Attached(int pid, string path, FileIdentity file, string what, TlsAttachResult result)
    {
        if (result.Succeeded)
        {
            if (!result.WasAttached)
            {
                LogAttached(logger, path, file.ToString(), result.Probes, what);
            }
            return;
        }
        // A process that ended while it was probed takes its path with it: not the file's failure.
        if (!Directory.Exists(Path.Join("/proc", pid.ToString(CultureInfo.InvariantCulture))))
        {
            return;
        }
        _failed[file] = result.FailureReason!;
        Interlocked.Increment(ref _attachFailures);
        LogAttachFailed(logger, path, file.ToString(), what, result.FailureReason!);
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "TLS probes on {Path} ({File}): {Probes} uprobes for {What}")]
    private static partial void LogAttached(ILogger logger, string path, string file, int probes, string what);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Skipped the TLS probes of {Path} (pid {Pid}, {File}): {Reason}; its TLS plaintext is not recorded")]
    private static partial void LogSkipped(ILogger logger, string path, int pid, string file, string reason);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Could not probe {Path} ({File}, {What}): {Reason}; its TLS plaintext is not recorded")]
    private static partial void LogAttachFailed(ILogger logger, string path, string file, string what, string reason);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "Removed the TLS probes of {File}: no process of a recorded container maps it anymore")]
    private static partial void LogDetached(ILogger logger, string file);

    [LoggerMessage(EventId = 604, Level = LogLevel.Error, Message = "A TLS probe scan failed; the next notice or sweep tries again")]
    private static partial void LogScanFailed(ILogger logger, Exception e);

    [LoggerMessage(EventId = 605, Level = LogLevel.Debug, Message = "TLS scan of pid {Pid}: {What}")]
    private static partial void LogUnreadable(ILogger logger, int pid, string what);

    [LoggerMessage(EventId = 606, Level = LogLevel.Information, Message = "TLS probing is off (--tls off): no process is scanned and no uprobe attached")]
    private static partial void LogOff(ILogger logger);

    [LoggerMessage(EventId = 607, Level = LogLevel.Warning, Message = "TLS probing cannot run: {Reason}; syscalls are recorded as before, TLS plaintext is not")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}

/// <summary>
/// What the TLS service did: files and uprobes in place now, and since start the binaries skipped,
/// failed attaches and lost exec notices; <paramref name="Unavailable"/> says why it cannot run at all.
/// </summary>
internal sealed record TlsProbeStatus(int FilesProbed, int Uprobes, long BinariesSkipped, long AttachFailures, long ExecNoticesDropped, string? Unavailable);
