using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;
using Traceloop.Tests.Containers;

namespace Traceloop.Tests.Tls;

/// <summary>
/// The TLS service's decisions over real processes of this host, with the kernel replaced by
/// <see cref="FakeTlsKernel"/>: a recorded container is a temporary cgroup directory whose
/// cgroup.procs names processes the test starts (an openssl that waits on its stdin, Go clients
/// waiting for a server's hello), so what is probed, skipped, refused and detached, and when, is
/// checked without root.
/// </summary>
public sealed class TlsProbeServiceTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly RegistryHarness _harness = new();
    private readonly FakeTlsKernel _kernel = new();
    private readonly List<Process> _processes = [];
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);
    private readonly string _directory = Directory.CreateTempSubdirectory("traceloop-tls-service-").FullName;
    private readonly string _procs;
    private TlsProbeService? _service;

    public TlsProbeServiceTests()
    {
        RecordedContainer container = _harness.Start(RegistryHarness.PodUid(1), RegistryHarness.ContainerId(1));
        _procs = Path.Join(_harness.Cgroups.ToDirectory(container.CgroupPath), "cgroup.procs");
        File.WriteAllText(_procs, "");
        // Accepts connections and never answers: a Go client waits in its handshake, alive and mapped.
        _silent.Start();
    }

    public async ValueTask DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.StopAsync(CancellationToken.None);
            _service.Dispose();
        }
        foreach (Process process in _processes)
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }
        _silent.Dispose();
        _kernel.Dispose();
        _harness.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task TheSweep_ProbesTheLibsslAProcessOfTheContainerMaps_AndDetachesItOnceNoProcessMapsIt()
    {
        Process openssl = StartOpenSsl();
        File.WriteAllText(_procs, Pid(openssl) + "\n");
        FileIdentity libssl = LibSsl(openssl);

        await StartServiceAsync(sweep: TimeSpan.FromMilliseconds(100));
        await Eventually(() => _kernel.Attached.Contains(libssl), "libssl to be probed");
        Assert.Equal(1, _service!.Status()!.FilesProbed);
        Assert.Equal(_kernel.AttachedProbes, _service.Status()!.Uprobes);

        File.WriteAllText(_procs, "");
        await Eventually(() => _kernel.Detached.Contains(libssl), "libssl to be detached");
        Assert.Empty(_kernel.Attached);
        // Attached once, however many sweeps saw it.
        Assert.Single(_kernel.AttachCalls, f => f == libssl);
    }

    [Fact]
    public async Task AnExecNotice_GetsItsProcessProbed_BeforeAnySweepCouldHave()
    {
        await StartServiceAsync(sweep: TimeSpan.FromHours(1));
        await Eventually(() => _kernel.Started, "the service to read notices");
        Process openssl = StartOpenSsl();
        FileIdentity libssl = LibSsl(openssl);

        await _kernel.Notices.Writer.WriteAsync(new ExecNotice(openssl.Id, 1, 0));

        await Eventually(() => _kernel.Attached.Contains(libssl), "libssl to be probed from the notice");
    }

    [Fact]
    public async Task GoClients_TheLocatableOneIsProbed_TheOneWithoutAFunctionTableIsSkippedOnce_AndARefusedAttachIsCountedOnce()
    {
        string client = await BuiltPrograms.GoAsync(BuiltPrograms.GoTlsClient, stripped: true);
        string odd = Path.Join(_directory, "odd-client");
        File.Copy(client, odd);
        ElfSections.Rename(odd, ".gopclntab", ".xxpclntab");
        Process probed = StartGoClient(client);
        Process skipped = StartGoClient(odd);
        Process openssl = StartOpenSsl();
        FileIdentity libssl = LibSsl(openssl);
        _kernel.Refuse[libssl] = "the kernel said no";
        File.WriteAllText(_procs, string.Join('\n', Pid(probed), Pid(skipped), Pid(openssl)) + "\n");

        await StartServiceAsync(sweep: TimeSpan.FromMilliseconds(100));
        FileIdentity go = Mapped(probed, client);
        FileIdentity oddFile = Mapped(skipped, odd);
        await Eventually(() => _kernel.Attached.Contains(go), "the Go client to be probed");
        await Eventually(() => _service!.Status()!.AttachFailures == 1, "the refused attach to be counted");
        // Several sweeps later: one skip, one failure, and neither file tried again.
        await Task.Delay(500);
        TlsProbeStatus status = _service!.Status()!;
        Assert.Equal(1, status.BinariesSkipped);
        Assert.Equal(1, status.AttachFailures);
        Assert.DoesNotContain(oddFile, _kernel.AttachCalls);
        Assert.Single(_kernel.AttachCalls, f => f == libssl);
        Assert.Equal([go], _kernel.Attached);
    }

    [Fact]
    public async Task Off_ReadsNoNoticeAndProbesNothing_AndHasNoStatus()
    {
        Process openssl = StartOpenSsl();
        File.WriteAllText(_procs, Pid(openssl) + "\n");

        await StartServiceAsync(sweep: TimeSpan.FromMilliseconds(100), enabled: false);
        await Task.Delay(400);

        Assert.False(_kernel.Started);
        Assert.Empty(_kernel.AttachCalls);
        Assert.Null(_service!.Status());
    }

    [Fact]
    public async Task Unavailable_ProbesNothing_AndSaysWhy()
    {
        Process openssl = StartOpenSsl();
        File.WriteAllText(_procs, Pid(openssl) + "\n");

        await StartServiceAsync(sweep: TimeSpan.FromMilliseconds(100), unavailable: "it lacks CAP_SYS_PTRACE");
        await Task.Delay(400);

        Assert.False(_kernel.Started);
        Assert.Empty(_kernel.AttachCalls);
        Assert.Equal("it lacks CAP_SYS_PTRACE", _service!.Status()!.Unavailable);
    }

    private async Task StartServiceAsync(TimeSpan sweep, bool enabled = true, string? unavailable = null)
    {
        var options = new TlsOptions { Enabled = enabled, SweepInterval = sweep, Unavailable = () => unavailable };
        _service = new TlsProbeService(_kernel, _harness.Registry, _harness.Cgroups, Options.Create(options), TimeProvider.System,
            NullLogger<TlsProbeService>.Instance);
        await _service.StartAsync(CancellationToken.None);
    }

    /// <summary>openssl enc reading a pipe nobody writes: a process that maps libssl and waits.</summary>
    private Process StartOpenSsl() => Start(new ProcessStartInfo("openssl", ["enc", "-aes-128-cbc", "-pbkdf2", "-pass", "pass:x"]) { RedirectStandardInput = true });

    private Process StartGoClient(string path) =>
        Start(new ProcessStartInfo(path, [$"127.0.0.1:{((IPEndPoint)_silent.LocalEndpoint).Port}", "hello"]));

    private Process Start(ProcessStartInfo startInfo)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{startInfo.FileName} did not start");
        _processes.Add(process);
        return process;
    }

    private static string Pid(Process process) => process.Id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The libssl a process maps, once its loader has mapped it.</summary>
    private static FileIdentity LibSsl(Process process)
    {
        var discovery = new OpenSslDiscovery();
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (discovery.Scan(process.Id).Libraries.FirstOrDefault(l => l.IsLibSsl) is { } library)
            {
                return library.File;
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"pid {process.Id} maps no libssl");
    }

    /// <summary>The identity of <paramref name="path"/> as the process's maps give it (what the service keys by).</summary>
    private static FileIdentity Mapped(Process process, string path)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            string maps = File.ReadAllText($"/proc/{process.Id}/maps");
            if (ProcMapsEntry.Parse(maps, out _).FirstOrDefault(e => e.Path == path) is { } entry)
            {
                return entry.File;
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"pid {process.Id} does not map {path}");
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {Wait.TotalSeconds} s waiting for {what}");
            }
            await Task.Delay(20);
        }
    }
}
