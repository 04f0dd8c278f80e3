using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;
using Traceloop.FunctionalTests.Recorder;
using Traceloop.TestCommon.Deploy;
using Xunit.Abstractions;

namespace Traceloop.FunctionalTests;

/// <summary>
/// A dump storm at the DaemonSet's memory limit (issue 12): the real recorder, started inside a
/// fresh memory cgroup limited to what deploy/ gives the pod (320Mi), records 100 containers
/// whose 1 MiB rings are full (the rings are BPF maps charged to that cgroup); then 60 dumps are
/// asked for at once, 30 by fast readers and 30 by readers that take a few KiB a second.
/// <para>
/// What must hold: the recorder is not OOM-killed (it is alive, answers, and the cgroup counts
/// no oom_kill); every fast dump completes with 200 and a whole body (a fast reader told 503 by
/// the dump queue retries after its Retry-After, as the README documents, until it gets one);
/// and nothing is lost: for containers that stopped writing before the storm (their process
/// sleeps in nanosleep, so no record reaches their ring any more), a dump taken after the storm
/// holds every <c>seq</c> of a dump taken before it. The storm reads rings, it never consumes or
/// disturbs them, so every event held before is still held after. Slow readers are not promised
/// a whole body: below --min-response-rate they are cut off after its grace period (documented),
/// and when the queue is full they get 503; the test reports what each got.
/// </para>
/// <para>
/// The memory cgroup is v2 where the memory controller is on the unified hierarchy, else v1's
/// (hybrid hosts keep it there); both charge the rings to it. The recorder here is the build's
/// (JIT) binary, whose RSS is higher than the Native AOT one that ships: bench/run.sh measures that.
/// </para>
/// </summary>
[Collection(DumpStormTests.Alone)]
public sealed class DumpStormTests(ITestOutputHelper output)
{
    /// <summary>Run with no other test: every recorder records every container cgroup on the host, so 100 full rings would fill the other tests' recorders too.</summary>
    public const string Alone = "dump storm, alone";

    private const int ContainerCount = 100;
    private const int FastReaders = 30;
    private const int SlowReaders = 30;

    /// <summary>What a slow reader takes per second: far below the recorder's minimum response rate (16K/s).</summary>
    private const int SlowBytesPerSecond = 2048;

    /// <summary>Iterations of the filler's loop: each writes a handful of records (open, dup, write, close of /dev/null), several times a 1 MiB ring.</summary>
    private const int FillerIterations = 4000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    /// <summary>
    /// Each slow reader that is served holds one of the 4 dumps at once for about 25 s (see
    /// <see cref="SlowReaderHold"/>) and about 10 of the 30 are served, so the storm takes about
    /// 75 s; more when more slow readers win a place.
    /// </summary>
    private static readonly TimeSpan StormTimeout = TimeSpan.FromSeconds(130);

    /// <summary>
    /// The longest a slow reader may hold a dump. Kestrel cuts a reader off once it is
    /// --min-response-grace (10 s) behind --min-response-rate (16K/s), and counts what the
    /// kernel's socket buffer took (about 230 KiB with Linux's default 208 KiB wmem) as read: so
    /// a reader that stalls on a full-ring JSON dump is let go after about
    /// 10 s + 230 KiB / 16 KiB/s = 24 s (measured: 24 s). 40 s leaves room for a loaded machine.
    /// </summary>
    private static readonly TimeSpan SlowReaderHold = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task SixtyConcurrentDumps_HalfSlow_AtTheDaemonSetMemoryLimit_WithFullRings_NoOomAndEveryFastDumpCompletes()
    {
        RootRequirement.Ensure();
        using var cts = new CancellationTokenSource(Timeout);
        long limit = (long)RenderedManifests.Default.Recorder.Resources.Limits["memory"].ToDecimal();
        using MemoryCgroup memory = MemoryCgroup.Create("traceloop-storm-" + Guid.NewGuid().ToString("N")[..12], limit);
        output.WriteLine($"recorder memory cgroup {memory.Path} ({(memory.IsV2 ? "v2" : "v1")}), limit {limit >> 20} MiB");

        string dir = Directory.CreateTempSubdirectory("traceloop-rec-").FullName;
        string socket = Path.Join(dir, "traceloop.sock");
        // Default ring size, dump limits and reader rate: the point is that the defaults hold.
        // Room for the 100 containers, and their rings made on demand (no early release).
        await using RecorderProcess recorder = await RecorderProcess.StartAsync(memory.Launcher, RecorderProcess.BinaryPath,
            ["--socket", socket, "--data-dir", Path.Join(dir, "data"), "--max-containers", "128"], dir, socket, null, cts.Token);
        Assert.Contains(recorder.Pid.ToString(CultureInfo.InvariantCulture), File.ReadAllLines(Path.Join(memory.Path, "cgroup.procs")));
        long idleRss = ProcStatusKb(recorder.Pid, "VmRSS");
        long idleCharge = memory.Current;

        using var fillers = new Fillers(ContainerCount);
        await fillers.StartAsync(recorder.Client, cts.Token);
        await Eventually.TrueAsync(async () => fillers.AllAsleep, TimeSpan.FromSeconds(60), $"the {ContainerCount} fillers to fill their rings and sleep");

        List<ContainerInfo> listed = await recorder.Client.GetContainersAsync(cts.Token);
        ContainerInfo[] ours = [.. fillers.Ids.Select(id => listed.Single(c => c.Id == id))];
        Assert.All(ours, c => Assert.Equal(1 << 20, c.BufferBytes));
        Assert.All(ours, c => Assert.True(c.BufferFill >= 0.99, $"ring of {c.Id} only {c.BufferFill:P1} full"));
        Assert.All(ours, c => Assert.True(c.EventsLost > 0, $"ring of {c.Id} never wrapped"));
        long ringsCharge = memory.Current;
        output.WriteLine($"before the storm: {ContainerCount} full rings, {ours.Sum(c => c.EventsHeld)} events held; recorder VmRSS {idleRss / 1024} MiB at start, "
            + $"{ProcStatusKb(recorder.Pid, "VmRSS") / 1024} MiB now; cgroup charged {idleCharge >> 20} MiB at start, {ringsCharge >> 20} MiB with the rings"
            + (memory.KernelMemory >= 0 ? $" (kernel memory {memory.KernelMemory >> 20} MiB)" : ""));
        // The rings are charged to the recorder's cgroup: the scenario is really at the limit's mercy.
        Assert.True(ringsCharge - idleCharge >= ContainerCount * (1L << 20) * 9 / 10,
            $"the {ContainerCount} rings were not charged to the recorder's memory cgroup ({idleCharge >> 20} → {ringsCharge >> 20} MiB)");

        // Earlier dumps of containers the storm reads fast, slowly, and not at all.
        int[] checkedIndexes = [0, FastReaders, FastReaders + SlowReaders];
        var before = new Dictionary<int, long[]>();
        foreach (int i in checkedIndexes)
        {
            before[i] = await SeqsAsync(recorder.Client, fillers.Ids[i], cts.Token);
        }

        StormResult storm = await RunStormAsync(socket, fillers.Ids, cts.Token);

        output.WriteLine($"storm over in {storm.Elapsed.TotalSeconds:F1} s: "
            + (recorder.HasExited ? "the recorder DIED" : $"recorder VmHWM {ProcStatusKb(recorder.Pid, "VmHWM") / 1024} MiB (VmRSS {idleRss / 1024} MiB at start)")
            + $"; cgroup peak {memory.Peak >> 20} MiB of {memory.Limit >> 20} MiB, limit reached {memory.LimitHits} times, oom_kill {memory.OomKills}");
        foreach (string line in storm.Report)
        {
            output.WriteLine(line);
        }
        Assert.False(recorder.HasExited, $"the recorder died during the storm:\n{recorder.Output}");
        Assert.Equal(0, memory.OomKills);
        await recorder.Client.GetHealthAsync(cts.Token);
        Assert.True(memory.Peak <= limit, $"cgroup peak {memory.Peak} above the limit {limit}");

        Assert.All(storm.Fast, f => Assert.True(f.Completed, $"fast dump of {f.Id}: {f.Outcome}"));
        Assert.All(storm.Fast.Where(f => f.Refusals > 0), f => Assert.True(f.RetryAfterSeen, $"fast dump of {f.Id} was refused without Retry-After"));
        // The storm had slow readers holding dumps, not only refused ones; and the recorder let go
        // of each in bounded time, which is what bounds how long a slow reader holds a ring copy.
        Assert.Contains(storm.Slow, s => s.Status == 200);
        Assert.All(storm.Slow.Where(s => s.Status == 200), s => Assert.True(s.Released is not null && s.Held < SlowReaderHold,
            $"slow reader of {s.Id}: held {s.Held.TotalSeconds:F1} s, {s.Ending}"));

        foreach (int i in checkedIndexes)
        {
            long[] after = await SeqsAsync(recorder.Client, fillers.Ids[i], cts.Token);
            Assert.True(before[i].Length > 0, $"the earlier dump of {fillers.Ids[i]} is empty");
            long[] missing = [.. before[i].Except(after)];
            Assert.True(missing.Length == 0,
                $"the dump of {fillers.Ids[i]} after the storm lacks {missing.Length} of the {before[i].Length} seqs of the one before (first {missing.FirstOrDefault()})");
        }
    }

    private static async Task<long[]> SeqsAsync(TraceloopClient client, string id, CancellationToken ct)
    {
        (_, List<TraceEventDto> events) = await client.GetDumpAsync(id, ct: ct);
        return [.. events.Select(e => e.Seq)];
    }

    private static async Task<StormResult> RunStormAsync(string socket, IReadOnlyList<string> ids, CancellationToken ct)
    {
        using var stormCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stormCts.CancelAfter(StormTimeout);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, c) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), c).ConfigureAwait(false);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = new Uri("http://traceloop/"), Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = Stopwatch.StartNew();
        // Fast readers dump containers 0-29 as text; slow ones 30-59 as JSON lines, the largest
        // format, so a slow body cannot fit in the sockets' buffers and the dump stays held.
        // Started alternately, so slow readers are among the first served, not all refused.
        var fast = new List<Task<FastDump>>();
        var slow = new List<Task<SlowDump>>();
        for (int i = 0; i < Math.Max(FastReaders, SlowReaders); i++)
        {
            if (i < FastReaders)
            {
                string id = ids[i];
                fast.Add(Task.Run(async () =>
                {
                    await go.Task.ConfigureAwait(false);
                    return await FastDumpAsync(http, id, stormCts.Token).ConfigureAwait(false);
                }));
            }
            if (i < SlowReaders)
            {
                string id = ids[FastReaders + i];
                slow.Add(Task.Run(async () =>
                {
                    await go.Task.ConfigureAwait(false);
                    return await SlowDumpAsync(socket, id, stormCts.Token).ConfigureAwait(false);
                }));
            }
        }
        go.SetResult();
        FastDump[] fastResults = await Task.WhenAll(fast);
        SlowDump[] slowResults = await Task.WhenAll(slow);
        watch.Stop();

        SlowDump[] served = [.. slowResults.Where(s => s.Status == 200)];
        var report = new List<string>
        {
            $"fast readers: {fastResults.Count(f => f.Completed)}/{FastReaders} complete, {fastResults.Sum(f => f.Refusals)} refusals (503) retried, "
                + $"slowest {fastResults.Max(f => f.Elapsed.TotalSeconds):F1} s, {fastResults.Sum(f => f.Bytes) >> 10} KiB",
            $"slow readers: {served.Length} served ({served.Count(s => s.Complete)} whole, {served.Count(s => !s.Complete)} cut off), "
                + $"{slowResults.Count(s => s.Status == 503)} refused with 503, {slowResults.Count(s => s.Status is not (200 or 503))} other; "
                + $"held by the recorder for {(served.Length == 0 ? "-" : $"{served.Min(s => s.Held.TotalSeconds):F1}-{served.Max(s => s.Held.TotalSeconds):F1}")} s",
        };
        report.AddRange(fastResults.Where(f => !f.Completed).Select(f => $"  fast {f.Id[..12]}: {f.Outcome}"));
        report.AddRange(served.Select(s => $"  slow {s.Id[..12]}: first byte at {s.FirstByte?.TotalSeconds:F1} s, let go at {s.Released?.TotalSeconds:F1} s "
            + $"after {s.SlowBytes} bytes read slowly ({s.Drained} more were in the socket), {s.Ending}{(s.Complete ? ", whole" : "")}"));
        return new StormResult(fastResults, slowResults, watch.Elapsed, report);
    }

    /// <summary>Reads the dump at full speed; on 503 waits the Retry-After it was given and asks again.</summary>
    private static async Task<FastDump> FastDumpAsync(HttpClient http, string id, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        int refusals = 0;
        bool retryAfterSeen = false;
        while (true)
        {
            try
            {
                using HttpResponseMessage response = await http.GetAsync($"containers/{id}/dump", HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refusals++;
                    TimeSpan? wait = response.Headers.RetryAfter?.Delta;
                    retryAfterSeen |= wait is not null;
                    await response.Content.ReadAsByteArrayAsync(ct);
                    await Task.Delay(wait ?? TimeSpan.FromSeconds(1), ct);
                    continue;
                }
                byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
                bool whole = response.StatusCode == HttpStatusCode.OK && body.Length > 0 && body[^1] == (byte)'\n'
                    && Encoding.UTF8.GetString(body).Contains("write(1, \"x\\n\", 2) = 2", StringComparison.Ordinal);
                return new FastDump(id, whole, $"HTTP {(int)response.StatusCode}, {body.Length} bytes after {refusals} refusals", refusals, retryAfterSeen, body.Length, watch.Elapsed);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                return new FastDump(id, false, $"{e.GetType().Name}: {e.Message} after {refusals} refusals and {watch.Elapsed.TotalSeconds:F1} s", refusals, retryAfterSeen, 0, watch.Elapsed);
            }
        }
    }

    /// <summary>
    /// A reader that asks once and takes about <see cref="SlowBytesPerSecond"/>, a little every
    /// quarter second, until the recorder ends the connection. The kernel keeps up to a few
    /// hundred KiB that the recorder wrote before it ended it, which would take minutes at this
    /// rate: the moment the recorder let go is when the socket reports the peer's shutdown
    /// (POLLRDHUP), and the rest is then read at once to see whether the body was whole.
    /// </summary>
    private static async Task<SlowDump> SlowDumpAsync(string path, string id, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /containers/{id}/dump?format=json HTTP/1.1\r\nHost: traceloop\r\nConnection: close\r\n\r\n"), ct);
        var head = new MemoryStream();
        byte[] tail = [];
        byte[] buffer = new byte[64 * 1024];
        long slowBytes = 0, drained = 0;
        TimeSpan? firstByte = null, released = null;
        string ending;
        try
        {
            while (true)
            {
                bool peerDone = PeerShutDown(socket);
                if (peerDone)
                {
                    released ??= watch.Elapsed;
                }
                int n = await socket.ReceiveAsync(buffer.AsMemory(0, peerDone ? buffer.Length : SlowBytesPerSecond / 4), ct);
                if (n == 0)
                {
                    released ??= watch.Elapsed;
                    ending = "closed by the recorder";
                    break;
                }
                firstByte ??= watch.Elapsed;
                if (peerDone)
                {
                    drained += n;
                }
                else
                {
                    slowBytes += n;
                }
                tail = [.. tail, .. buffer.AsSpan(0, n)];
                tail = tail[Math.Max(0, tail.Length - 5)..];
                if (head.Length < 256)
                {
                    head.Write(buffer, 0, Math.Min(n, 256));
                }
                if (!peerDone)
                {
                    await Task.Delay(250, ct);
                }
            }
        }
        catch (SocketException e)
        {
            released ??= watch.Elapsed;
            ending = $"reset by the recorder ({e.SocketErrorCode})";
        }
        catch (OperationCanceledException)
        {
            ending = "still held by the recorder when the storm ended";
        }
        string text = Encoding.ASCII.GetString(head.ToArray());
        int status = text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && text.Length >= 12
            ? int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture) : 0;
        // Kestrel frames a body of unknown length in chunks; the last chunk is empty.
        bool complete = status == 200 && ending == "closed by the recorder" && tail.AsSpan().SequenceEqual("0\r\n\r\n"u8);
        return new SlowDump(id, status, slowBytes, drained, firstByte, released, ending, complete);
    }

    private static bool PeerShutDown(Socket socket)
    {
        var fd = new Containers.Interop.Libc.PollFd
        {
            fd = (int)socket.SafeHandle.DangerousGetHandle(),
            events = Containers.Interop.Libc.POLLIN | Containers.Interop.Libc.POLLRDHUP,
        };
        return Containers.Interop.Libc.poll(ref fd, 1, 0) == 1 && (fd.revents & Containers.Interop.Libc.POLLRDHUP) != 0;
    }

    private static long ProcStatusKb(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"/proc/{pid}/status has no {field}");
    }

    private sealed record FastDump(string Id, bool Completed, string Outcome, int Refusals, bool RetryAfterSeen, long Bytes, TimeSpan Elapsed);

    /// <summary>A slow reader's dump: its first byte and the recorder's letting go, from the moment it asked.</summary>
    private sealed record SlowDump(string Id, int Status, long SlowBytes, long Drained, TimeSpan? FirstByte, TimeSpan? Released, string Ending, bool Complete)
    {
        /// <summary>How long the recorder held the dump for this reader, from its first byte.</summary>
        public TimeSpan Held => (Released ?? FirstByte ?? TimeSpan.Zero) - (FirstByte ?? TimeSpan.Zero);
    }

    private sealed record StormResult(FastDump[] Fast, SlowDump[] Slow, TimeSpan Elapsed, List<string> Report);

    /// <summary>
    /// 100 container cgroups, kubelet-style (<c>/kubepods/besteffort/pod&lt;uid&gt;/&lt;64 hex&gt;</c>),
    /// each with a busybox shell that writes to /dev/null in a tight loop until its ring has
    /// wrapped several times, then sleeps: its ring stays full and is no longer written.
    /// Disposing kills the processes and removes the cgroups.
    /// </summary>
    private sealed class Fillers(int count) : IDisposable
    {
        private readonly Traceloop.Recorder.Containers.CgroupFs _cgroups = Traceloop.Recorder.Containers.CgroupFs.Locate("unified");
        private readonly string _podPath = "/kubepods/besteffort/pod" + Guid.NewGuid();
        private readonly List<Process> _processes = [];

        public string[] Ids { get; } = [.. Enumerable.Range(0, count).Select(_ => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)))];

        /// <summary>Every filler is blocked in clock_nanosleep (230) or nanosleep (35): its loop is over.</summary>
        public bool AllAsleep => _processes.Count == Ids.Length && _processes.All(p =>
        {
            try
            {
                return File.ReadAllText($"/proc/{p.Id}/syscall").Split(' ')[0] is "230" or "35";
            }
            catch (IOException)
            {
                return false;
            }
        });

        public async Task StartAsync(TraceloopClient client, CancellationToken ct)
        {
            Directory.CreateDirectory(_cgroups.ToDirectory(_podPath));
            foreach (string id in Ids)
            {
                Directory.CreateDirectory(_cgroups.ToDirectory($"{_podPath}/{id}"));
            }
            // Every container has its ring before its first syscall: spare rings are made a few at a time.
            await Eventually.TrueAsync(async () =>
            {
                List<ContainerInfo> listed = await client.GetContainersAsync(ct);
                return Ids.All(id => listed.Any(c => c.Id == id && c.BufferBytes > 0));
            }, TimeSpan.FromSeconds(30), $"the recorder to give all {Ids.Length} containers a ring");
            string script = "echo $$ > \"$0\" && i=0 && while [ $i -lt " + FillerIterations.ToString(CultureInfo.InvariantCulture)
                + " ]; do echo x >/dev/null; i=$((i+1)); done; exec /bin/busybox sleep 3600";
            foreach (string id in Ids)
            {
                var psi = new ProcessStartInfo("/bin/busybox") { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (string a in (string[])["sh", "-c", script, _cgroups.ToDirectory($"{_podPath}/{id}/cgroup.procs")])
                {
                    psi.ArgumentList.Add(a);
                }
                _processes.Add(Process.Start(psi)!);
            }
        }

        public void Dispose()
        {
            foreach (Process p in _processes)
            {
                try
                {
                    p.Kill();
                    p.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                }
                p.Dispose();
            }
            foreach (string id in Ids)
            {
                KubeletCgroups.Remove($"{_podPath}/{id}", _podPath);
            }
        }
    }
}

[CollectionDefinition(DumpStormTests.Alone, DisableParallelization = true)]
public sealed class DumpStormCollection;
