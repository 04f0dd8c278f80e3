using Traceloop.Api;
using Traceloop.Recorder.Bpf;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Kubernetes;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>What a ring holds, as a listing or a dump reports it.</summary>
/// <param name="Lost">Overwritten records, plus those the kernel dropped before the container had a ring.</param>
internal readonly record struct RingFigures(long Bytes, double Fill, long Held, long Lost);

/// <summary>Builds the API's <see cref="ContainerInfo"/> of a recorded container: one place for both the listing and the dump header.</summary>
internal static class ContainerInfoFactory
{
    public static ContainerInfo Create(RecordedContainer c, KubernetesIdentity? names, in tl_container kernel, in RingFigures ring, string? ringError = null) => new()
    {
        Namespace = names?.Pod.Namespace,
        Pod = names?.Pod.Name,
        Container = names?.Container?.Name,
        Labels = names?.Pod.Labels,
        Image = names?.Container?.Image,
        RestartCount = names?.Container?.RestartCount,
        Node = names?.Pod.NodeName,
        ContainerKind = names?.Container?.Kind.ToString().ToLowerInvariant(),
        Id = c.Id,
        PodUid = c.Identity.PodUid,
        CgroupId = c.CgroupId,
        CgroupPath = c.CgroupPath,
        Runtime = c.Identity.Runtime,
        MainPid = kernel.main_pid != 0 ? (int)kernel.main_pid : c.MainPid,
        FirstSeen = c.FirstSeen,
        ExitedAt = c.ExitedAt,
        BufferBytes = ring.Bytes,
        BufferFill = ring.Fill,
        EventsHeld = ring.Held,
        EventsLost = ring.Lost,
        ExitStatus = c.ExitStatus,
        RecordingSince = c.RecordingSince,
        RecordingOrigin = OriginName(c.Origin),
        EventsMissed = (long)kernel.missed,
        CaptureLevel = CaptureLevels.Format(c.CaptureLevel),
        RingError = ringError,
    };

    private static string OriginName(RecordingOrigin origin) => origin switch
    {
        RecordingOrigin.Adopted => RecordingOrigins.Adopted,
        RecordingOrigin.LateRing => RecordingOrigins.LateRing,
        _ => RecordingOrigins.FirstSyscall,
    };
}
