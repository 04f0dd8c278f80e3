using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Records;

namespace Traceloop.Tests.Containers;

/// <summary>
/// A <see cref="ContainerRegistry"/> over a <see cref="FakeKernel"/> and a cgroup tree made of
/// temporary directories (cgroup ids are their inode numbers, as on cgroup v2), on a fake clock.
/// </summary>
internal sealed class RegistryHarness : IDisposable
{
    public RegistryHarness(int maxSlots = 8, int spareRings = 2, TimeSpan? grace = null, int ringSize = 4096, int subRings = 1)
    {
        Root = Directory.CreateTempSubdirectory("traceloop-cgroups-").FullName;
        Cgroups = CgroupFs.At(Root);
        Kernel = new FakeKernel(ringSize, maxSlots, subRings);
        Exclusions = new PodExclusions(Kernel);
        Levels = new PodCaptureLevels(Kernel, CaptureLevel.Full);
        Events = new ContainerEvents();
        Notices = Events.Subscribe(64);
        Registry = new ContainerRegistry(Kernel, Cgroups, Exclusions, Levels, Events, grace ?? TimeSpan.FromMinutes(10), spareRings, Time,
            NullLogger<ContainerRegistry>.Instance);
    }

    public string Root { get; }

    public CgroupFs Cgroups { get; }

    public FakeKernel Kernel { get; }

    public PodExclusions Exclusions { get; }

    public PodCaptureLevels Levels { get; }

    public ContainerEvents Events { get; }

    /// <summary>A subscription made before anything happened: every notice the registry published.</summary>
    public ContainerEventSubscription Notices { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero));

    public ContainerRegistry Registry { get; private set; }

    /// <summary>
    /// The recorder dies and a new one starts on the same kernel state, as when it is pinned: the
    /// old registry is dropped without disposing (kill -9 frees nothing), the new one takes over.
    /// </summary>
    public ContainerRegistry Restart(int spareRings = 2, TimeSpan? grace = null)
    {
        Kernel.Restart();
        Registry = new ContainerRegistry(Kernel, Cgroups, Exclusions, Levels, Events, grace ?? TimeSpan.FromMinutes(10), spareRings, Time,
            NullLogger<ContainerRegistry>.Instance);
        return Registry;
    }

    public static string ContainerId(int n) => n.ToString("x64");

    public static string PodUid(int n) => $"{n:x8}-0000-4000-8000-000000000000";

    /// <summary>kubelet's cgroupfs layout for a container of a pod.</summary>
    public static string PathOf(string podUid, string containerId) => $"/kubepods/besteffort/pod{podUid}/{containerId}";

    /// <summary>Makes the cgroup directory (and its parents); returns its id.</summary>
    public ulong MakeCgroup(string path)
    {
        Directory.CreateDirectory(Cgroups.ToDirectory(path));
        return Cgroups.IdOf(path);
    }

    /// <summary>A container starts: its cgroup is made, the kernel adopts it, and its notice reaches the registry.</summary>
    public RecordedContainer Start(string podUid, string containerId)
    {
        string path = PathOf(podUid, containerId);
        ulong id = MakeCgroup(path);
        Registry.OnControl(Kernel.Mkdir(id, podCgroup: $"pod{podUid}"), path);
        return Registry.Find(containerId).Container ?? throw new InvalidOperationException($"container {containerId} was not recorded");
    }

    /// <summary>The kernel's notice that the container's main process ended.</summary>
    public void MainExit(RecordedContainer c, int pid, int waitStatus) =>
        Registry.OnControl(new tl_control { kind = ControlKind.MainExit, cgroup_id = c.CgroupId, pid = (uint)pid, tid = (uint)pid, status = waitStatus }, c.CgroupPath);

    public void Dispose()
    {
        Registry.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
