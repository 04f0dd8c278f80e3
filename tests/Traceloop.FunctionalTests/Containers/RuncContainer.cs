using System.Security.Cryptography;

namespace Traceloop.FunctionalTests.Containers;

/// <summary>
/// A real runc container in a kubelet-style cgroup (/kubepods/&lt;qos&gt;/pod&lt;uid&gt;/&lt;id&gt;), made with
/// `runc create` and started with `runc start`, so a test can act between the two.
/// The container's init becomes this process's child (see <see cref="AdoptedProcess"/>), which is how its real exit
/// status is known even though runc ran detached.
/// </summary>
public sealed class RuncContainer : IAsyncDisposable
{
    private const int SIGKILL = 9;
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);

    private readonly AdoptedProcess _init;
    private readonly string _bundle;
    private readonly string _podPath;
    private string? _stdout;
    private string? _stderr;
    private int _disposed;

    private RuncContainer(string id, string podUid, string podPath, string cgroupPath, string bundle, AdoptedProcess init)
    {
        Id = id;
        PodUid = podUid;
        _podPath = podPath;
        CgroupPath = cgroupPath;
        _bundle = bundle;
        _init = init;
    }

    public string Id { get; }

    public string PodUid { get; }

    /// <summary>The container's cgroup, e.g. "/kubepods/besteffort/pod&lt;uid&gt;/&lt;id&gt;", the same in every hierarchy.</summary>
    public string CgroupPath { get; }

    /// <summary>The host directories of <see cref="CgroupPath"/>: one per mounted v1 hierarchy, plus the unified one.</summary>
    public IReadOnlyList<string> CgroupDirectories => KubeletCgroups.Directories(CgroupPath);

    /// <summary>The host pid of the container's init; after start, the pid of the container's process (exec keeps it).</summary>
    public int InitPid => _init.Pid;

    /// <summary>Everything the container wrote to stdout so far (all of it once it has exited).</summary>
    public string Stdout => _stdout ?? ReadOutput("stdout");

    public string Stderr => _stderr ?? ReadOutput("stderr");

    /// <summary>`runc create`: the cgroups exist and hold the init, which waits; the user's process has not been exec'd yet.</summary>
    public static async Task<RuncContainer> CreateAsync(ContainerSpec spec, CancellationToken ct)
    {
        RootRequirement.Ensure();
        AdoptedProcess.BecomeChildSubreaper();
        var rootfs = spec.Rootfs ?? BusyboxRootfs.Shared;

        string id = spec.Id ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string podUid = spec.PodUid ?? Guid.NewGuid().ToString();
        string podPath = KubeletCgroups.PodPath(spec.QosClass, podUid);
        string cgroupPath = $"{podPath}/{id}";

        string bundle = Directory.CreateTempSubdirectory("traceloop-bundle-").FullName;
        try
        {
            File.WriteAllText(Path.Join(bundle, "config.json"), OciConfig.Create(spec, rootfs.Path, cgroupPath).ToJsonString());
            await Runc.CreateAsync(id, bundle, Path.Join(bundle, "stdout"), Path.Join(bundle, "stderr"), ct);
            var (status, pid) = await Runc.StateAsync(id, ct);
            if (status != "created")
            {
                throw new InvalidOperationException($"container {id} is {status} after runc create");
            }
            return new RuncContainer(id, podUid, podPath, cgroupPath, bundle, AdoptedProcess.Open(pid));
        }
        catch (Exception e)
        {
            // runc reaps an init it failed to set up. One that got past create is killed by runc delete and, unwaited, stays our zombie.
            try
            {
                await RemoveAsync(id, bundle, cgroupPath, podPath);
            }
            catch (Exception cleanup)
            {
                throw new AggregateException(e, cleanup);
            }
            throw;
        }
    }

    /// <summary>`runc create` then `runc start`.</summary>
    public static async Task<RuncContainer> RunAsync(ContainerSpec spec, CancellationToken ct)
    {
        var container = await CreateAsync(spec, ct);
        try
        {
            await container.StartAsync(ct);
            return container;
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    /// <summary>`runc start`: the init execs the user's process.</summary>
    public Task StartAsync(CancellationToken ct) => Runc.StartAsync(Id, ct);

    /// <summary>
    /// The exit code of the container's process, or 128 + the signal that killed it (137 for SIGKILL, 139 for SIGSEGV).
    /// The process is pid 1 of its pid namespace: the kernel drops signals it has no handler for when they come from
    /// inside the container (so `kill -SEGV $$` in a shell that is pid 1 does nothing), but a real fault still kills it.
    /// </summary>
    public Task<int> WaitForExitAsync(CancellationToken ct) => _init.Exit.WaitAsync(ct);

    /// <summary>
    /// Signals the container's init through its pidfd; a no-op once it has exited. From the host, SIGKILL and SIGSTOP
    /// always land; other signals only if the process (pid 1 in its namespace) handles them.
    /// </summary>
    public Task KillAsync(int signal = SIGKILL)
    {
        _init.Signal(signal);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Kills and reaps the init, runs `runc delete --force`, removes the leaf and pod cgroup directories and the bundle.
    /// Whatever is already gone is fine; throws only when something is left behind.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _init.Signal(SIGKILL);
        try
        {
            await _init.Exit.WaitAsync(CleanupTimeout);
        }
        finally
        {
            _stdout = ReadOutput("stdout");
            _stderr = ReadOutput("stderr");
            _init.Dispose();
            await RemoveAsync(Id, _bundle, CgroupPath, _podPath);
        }
    }

    private static async Task RemoveAsync(string id, string bundle, string cgroupPath, string podPath)
    {
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        await Runc.DeleteAsync(id, timeout.Token);
        var leftovers = KubeletCgroups.Remove(cgroupPath, podPath);
        Directory.Delete(bundle, recursive: true);
        if (leftovers.Count > 0)
        {
            throw new InvalidOperationException($"container {id}: cgroup directories still in use: {string.Join(", ", leftovers)}");
        }
    }

    private string ReadOutput(string name)
    {
        // The container still holds the file open for writing.
        using var stream = new FileStream(Path.Join(_bundle, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
