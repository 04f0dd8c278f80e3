using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Containers;

/// <summary>The kernel seam over the loaded BPF object: each call is one map operation.</summary>
internal sealed class LibbpfKernel(KernelProbes probes) : IRecordingKernel
{
    public int RingSize => probes.Config.RingSize;

    public int MaxSlots => probes.Config.MaxSlots;

    public IReadOnlyList<string> AttachedPrograms => probes.AttachedPrograms;

    public IContainerRing CreateRing() => new LibbpfRing(RingMap.Create(probes.Config.RingSize));

    public void PublishRing(uint slot, IContainerRing ring) =>
        probes.Rings.Update(slot, ((LibbpfRing)ring).Map.Map.RawFd);

    public void UnpublishRing(uint slot) => probes.Rings.Delete(slot);

    public void QueueSpareSlot(uint slot) => probes.FreeSlots.Push(slot);

    public bool TryAddContainer(ulong cgroupId, tl_container value)
    {
        try
        {
            probes.Containers.Update(cgroupId, value, Interop.Libbpf.BPF_NOEXIST);
            return true;
        }
        catch (BpfException e) when (e.Errno == Errno.EEXIST)
        {
            return false;
        }
    }

    public void UpdateContainer(ulong cgroupId, tl_container value) => probes.Containers.Update(cgroupId, value, Interop.Libbpf.BPF_EXIST);

    public void RemoveContainer(ulong cgroupId) => probes.Containers.Delete(cgroupId);

    public bool TryGetContainer(ulong cgroupId, out tl_container value) => probes.Containers.TryLookup(cgroupId, out value);

    public void ExcludePodCgroup(tl_pod_name name) => probes.ExcludedPods.Update(name, (byte)1);

    public void IncludePodCgroup(tl_pod_name name) => probes.ExcludedPods.Delete(name);

    public long ControlDrops => probes.ControlDrops.TryLookup(0u, out ulong drops) ? (long)drops : 0;

    public IReadOnlyList<(ulong CgroupId, tl_container Entry)> ListContainers()
    {
        var entries = new List<(ulong, tl_container)>();
        foreach (ulong id in probes.Containers.Keys<ulong>())
        {
            // An entry deleted between the two calls is simply not listed.
            if (probes.Containers.TryLookup(id, out tl_container entry))
            {
                entries.Add((id, entry));
            }
        }
        return entries;
    }
}
