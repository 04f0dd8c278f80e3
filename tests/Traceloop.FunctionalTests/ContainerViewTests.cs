using Microsoft.Extensions.Logging.Abstractions;
using Traceloop.FunctionalTests.Containers;
using Traceloop.Recorder.Bpf;

namespace Traceloop.FunctionalTests;

/// <summary>
/// The syscall programs' per-CPU view of a container is keyed by the address of the task's cgroup
/// (bpf/traceloop.bpf.c, struct container_view). An address outlives its cgroup, so removing a
/// recorded cgroup must bump containers_gen[0], which ends every view of it before another cgroup
/// can take the address; removing a cgroup nobody records leaves the views alone. Real programs on
/// real cgroups; alone, because these programs see every cgroup the machine makes, and another
/// test's containers would bump the same generation meanwhile.
/// </summary>
[Collection(Alone)]
public sealed class ContainerViewTests
{
    public const string Alone = "containers_gen, alone";
    private const uint KernelGeneration = 0;

    [Fact]
    public void RemovingARecordedCgroup_EndsEveryViewOfIt_AndRemovingAnotherDoesNot()
    {
        RootRequirement.Ensure();
        using KernelProbes probes = KernelProbes.Open(
            new KernelProbesConfig(RingSize: 1 << 16, MaxSlots: 2, MaxCgroups: 16, MaxString: 256, Captures: new Dictionary<int, tl_syscall_captures>()),
            pinDirectory: null, reset: false, archive: null, NullLogger.Instance);
        IReadOnlyList<string> parents = KubeletCgroups.Directories("/traceloop-view-" + Guid.NewGuid().ToString("N")[..12]);
        // Named like a runtime's container cgroup, so tl_cgroup_mkdir adopts it; the other is not.
        string container = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        const string Plain = "not-a-container";
        try
        {
            ulong start = Generation(probes);
            foreach (string dir in parents)
            {
                Directory.CreateDirectory(Path.Join(dir, container));
                Directory.CreateDirectory(Path.Join(dir, Plain));
            }
            ulong made = Generation(probes);
            Assert.Equal(start + 1, made); // the adoption, as before

            foreach (string dir in parents)
            {
                Directory.Delete(Path.Join(dir, Plain));
            }
            Assert.Equal(made, Generation(probes));

            foreach (string dir in parents)
            {
                Directory.Delete(Path.Join(dir, container));
            }
            Assert.Equal(made + 1, Generation(probes));
        }
        finally
        {
            foreach (string dir in parents)
            {
                foreach (string child in (string[])[Path.Join(dir, container), Path.Join(dir, Plain), dir])
                {
                    if (Directory.Exists(child))
                    {
                        Directory.Delete(child);
                    }
                }
            }
        }
    }

    private static ulong Generation(KernelProbes probes) =>
        probes.ContainersGeneration.TryLookup(KernelGeneration, out ulong g) ? g : throw new InvalidOperationException("containers_gen has no entry 0");
}

[CollectionDefinition(ContainerViewTests.Alone, DisableParallelization = true)]
public sealed class ContainerViewCollection;
