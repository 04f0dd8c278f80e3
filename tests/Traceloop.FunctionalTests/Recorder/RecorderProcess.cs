using System.Diagnostics;
using System.Text;
using Traceloop.Api;
using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.Recorder;

/// <summary>
/// The real recorder binary (the one the build produced), run as a child process with its own
/// socket and data directory, exactly as an operator runs it.
/// </summary>
public sealed class RecorderProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Every test recorder pins its recording under its own directory here, removed with it.</summary>
    private const string PinRoot = "/sys/fs/bpf/traceloop-tests";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dir;
    private readonly LaunchSpec _launch;
    private bool _handedOver;

    private RecorderProcess(Process process, string dir, string socketPath, LaunchSpec launch)
    {
        _process = process;
        _dir = dir;
        _launch = launch;
        SocketPath = socketPath;
        Client = new TraceloopClient(socketPath, TimeSpan.FromSeconds(30));
    }

    /// <summary>How the process was started, so a restart runs the same command.</summary>
    private sealed record LaunchSpec(IReadOnlyList<string> Command, IDictionary<string, string> Environment);

    /// <summary>The bpffs directory this recorder pins its recording in (TRACELOOP_PINDIR).</summary>
    public string PinDir => _launch.Environment.TryGetValue("TRACELOOP_PINDIR", out string? dir) ? dir : "";

    public string SocketPath { get; }

    public string DataDir => Path.Join(_dir, "data");

    public TraceloopClient Client { get; }

    public int Pid => _process.Id;

    /// <summary>The recorder exited, or was killed (by the OOM killer, say).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What the recorder printed so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string BinaryPath => Path.Join(AppContext.BaseDirectory, "traceloop-recorder");

    /// <summary>Starts the recorder and waits until /healthz answers.</summary>
    public static Task<RecorderProcess> StartAsync(IEnumerable<string>? extraArgs = null, CancellationToken ct = default) =>
        StartAsync(extraArgs, environment: null, socketFromArgs: true, ct);

    /// <summary>
    /// Starts the recorder; with <paramref name="socketFromArgs"/> false the socket path is not
    /// passed on the command line, so it must come from <paramref name="environment"/> or a config
    /// file, as TRACELOOP_SOCKETPATH pointing into the directory given to <paramref name="environment"/>'s builder.
    /// </summary>
    public static async Task<RecorderProcess> StartAsync(IEnumerable<string>? extraArgs, Func<string, IDictionary<string, string>>? environment,
        bool socketFromArgs, CancellationToken ct = default)
    {
        RootRequirement.Ensure();
        string dir = Directory.CreateTempSubdirectory("traceloop-rec-").FullName;
        string socket = Path.Join(dir, "traceloop.sock");
        IEnumerable<string> args = socketFromArgs
            ? ["--socket", socket, "--data-dir", Path.Join(dir, "data"), .. extraArgs ?? []]
            : extraArgs ?? [];
        return await StartAsync([], BinaryPath, args, dir, socket, environment?.Invoke(dir), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts <paramref name="binary"/> with exactly <paramref name="args"/> behind
    /// <paramref name="launcher"/> (a command that execs the rest of its arguments, such as
    /// setpriv, or nothing), and waits until /healthz answers on <paramref name="socket"/>.
    /// <paramref name="dir"/> is the recorder's own and is deleted with it.
    /// </summary>
    public static async Task<RecorderProcess> StartAsync(IReadOnlyList<string> launcher, string binary, IEnumerable<string> args, string dir, string socket,
        IDictionary<string, string>? environment, CancellationToken ct)
    {
        RootRequirement.Ensure();
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        // Recorders of parallel tests must not share (or leave behind) the host's pinned recording.
        env.TryAdd("TRACELOOP_PINDIR", PinDirFor(dir));
        var launch = new LaunchSpec([.. launcher, binary, .. args], env);
        return await StartAsync(launch, dir, socket, ct).ConfigureAwait(false);
    }

    private static async Task<RecorderProcess> StartAsync(LaunchSpec launch, string dir, string socket, CancellationToken ct)
    {
        Process process = Launch(launch.Command, launch.Environment);
        var recorder = new RecorderProcess(process, dir, socket, launch);
        recorder.Capture();
        try
        {
            await recorder.WaitHealthyAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await recorder.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return recorder;
    }

    /// <summary>
    /// Runs the recorder binary to completion (for start-up failures) and returns its exit code
    /// and output. <paramref name="withoutCapabilities"/> runs it as root with every capability
    /// dropped and none regained at exec (securebits noroot): the missing-privileges case,
    /// without depending on who may read the checkout.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IEnumerable<string> args, bool withoutCapabilities, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(withoutCapabilities ? "setpriv" : BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (withoutCapabilities)
        {
            foreach (string a in (string[])["--securebits", "+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked",
                "--inh-caps=-all", "--bounding-set=-all", BinaryPath])
            {
                psi.ArgumentList.Add(a);
            }
        }
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
        // Start-up failures pin nothing; none of them may touch the host's pinned recording.
        psi.Environment["TRACELOOP_PINDIR"] = "";
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        return (p.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static Process Launch(IReadOnlyList<string> command, IDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        foreach ((string key, string value) in environment)
        {
            psi.Environment[key] = value;
        }
        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command[0]}");
    }

    private void Capture()
    {
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                // Its last lines (the one-sentence error) may still be on their way through the
                // asynchronous readers: this overload waits for them.
                _process.WaitForExit();
                throw new InvalidOperationException($"the recorder exited with {_process.ExitCode} while starting:\n{Output}");
            }
            if (File.Exists(SocketPath))
            {
                try
                {
                    await Client.GetHealthAsync(timeout.Token).ConfigureAwait(false);
                    return;
                }
                catch (TraceloopApiException)
                {
                }
            }
            try
            {
                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"the recorder did not answer /healthz within {StartTimeout.TotalSeconds} s:\n{Output}");
            }
        }
    }

    private static string PinDirFor(string dir)
    {
        RemoveStalePins();
        return Path.Join(PinRoot, Path.GetFileName(dir));
    }

    /// <summary>Pins of test recorders whose directory is gone (a test run that was killed): their programs still record.</summary>
    private static void RemoveStalePins()
    {
        if (!Directory.Exists(PinRoot))
        {
            return;
        }
        foreach (string pins in Directory.EnumerateDirectories(PinRoot))
        {
            if (!Directory.Exists(Path.Join(Path.GetTempPath(), Path.GetFileName(pins))))
            {
                DeletePins(pins);
            }
        }
    }

    private static void DeletePins(string pins)
    {
        try
        {
            Directory.Delete(pins, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Kills the recorder with SIGKILL, as the OOM killer would: nothing of it runs, its pinned recording stays.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the same recorder again (same command, socket, data and pin directories) after this
    /// one stopped or was killed; the new one owns the directories from then on.
    /// </summary>
    public async Task<RecorderProcess> RestartAsync(IEnumerable<string>? extraArgs = null, CancellationToken ct = default)
    {
        if (!_process.HasExited)
        {
            throw new InvalidOperationException("the recorder still runs: stop or kill it first");
        }
        _handedOver = true;
        LaunchSpec launch = _launch with { Command = [.. _launch.Command, .. extraArgs ?? []] };
        return await StartAsync(launch, _dir, SocketPath, ct).ConfigureAwait(false);
    }

    /// <summary>Stops the recorder with SIGTERM, as systemd or the kubelet would, and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            Containers.Interop.Libc.kill(_process.Id, Containers.Interop.Libc.SIGTERM);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                throw new TimeoutException($"the recorder did not stop within 20 s of SIGTERM:\n{Output}");
            }
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
            if (!_handedOver)
            {
                // Unpinned, the programs it left recording detach and its rings are freed.
                if (PinDir.Length > 0)
                {
                    DeletePins(PinDir);
                }
                try
                {
                    Directory.Delete(_dir, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
