using System.Text;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// The directory names kubelet gives a pod's cgroup, with the cgroupfs and the systemd driver, in
/// every QoS class: the keys by which the kernel's per-pod maps (excluded_pods, capture_levels)
/// recognise a pod at cgroup_mkdir, before the recorder has heard of the container.
/// </summary>
internal static class PodCgroupNames
{
    public static IEnumerable<tl_pod_name> Of(string uid)
    {
        string underscored = uid.Replace('-', '_');
        yield return Name("pod" + uid);
        yield return Name($"kubepods-pod{underscored}.slice");
        yield return Name($"kubepods-besteffort-pod{underscored}.slice");
        yield return Name($"kubepods-burstable-pod{underscored}.slice");
    }

    private static unsafe tl_pod_name Name(string text)
    {
        var name = new tl_pod_name();
        Encoding.ASCII.GetBytes(text, new Span<byte>(name.name, tl_pod_name.Length - 1));
        return name;
    }
}
