using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;

namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>What strace and the recorder each saw of one run of a workload.</summary>
internal sealed record AgreementCapture(
    Workload Workload,
    int InitPid,
    int ExitCode,
    long StraceStartNs,
    long StraceAttachedNs,
    IReadOnlySet<int> RuncThreads,
    string StraceLog,
    DumpHeader Header,
    List<TraceEventDto> Events,
    string DumpText)
{
    /// <summary>The recorder's default --max-bytes; strace gets the same -s.</summary>
    public const int MaxBytes = 64;

    /// <summary>
    /// Runs <paramref name="workload"/> so that strace and the recorder see the same syscalls: the container is created
    /// (its init waits before exec), strace attaches to the init and all its threads, and only then does the
    /// container start. The recorder has recorded the container since its cgroup was made, so its dump holds more
    /// (runc's set-up before strace attached); <see cref="AgreementComparison"/> accounts for that with the two times.
    /// </summary>
    public static async Task<AgreementCapture> RunAsync(Workload workload, RecorderProcess recorder, string workDirectory, CancellationToken ct)
    {
        await workload.InstallAsync(ct);
        await using RuncContainer container = await RuncContainer.CreateAsync(workload.Spec, ct);
        string logPath = Path.Join(workDirectory, workload.Name + ".strace");
        long startNs = UnixNowNs();
        long attachedNs;
        HashSet<int> runcThreads;
        int exitCode;
        string straceLog;
        await using (StraceSession strace = await StraceSession.AttachAsync(container.InitPid, logPath, AgreementCapture.MaxBytes, ct))
        {
            attachedNs = UnixNowNs();
            // runc's Go init has a few threads besides the init itself; the exec will kill them.
            runcThreads = Directory.GetDirectories($"/proc/{container.InitPid}/task")
                .Select(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture))
                .Where(tid => tid != container.InitPid)
                .ToHashSet();
            await container.StartAsync(ct);
            exitCode = await container.WaitForExitAsync(ct);
            straceLog = await strace.WaitForExitAsync(ct);
        }
        (DumpHeader header, List<TraceEventDto> events) = await recorder.Client.GetDumpAsync(container.Id, ct: ct);
        string text = await recorder.Client.GetDumpTextAsync(container.Id, ct: ct);
        return new AgreementCapture(workload, container.InitPid, exitCode, startNs, attachedNs, runcThreads, straceLog, header, events, text);
    }

    private static long UnixNowNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
