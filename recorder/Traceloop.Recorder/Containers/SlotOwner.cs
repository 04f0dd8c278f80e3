using System.Text;
using Traceloop.Recorder.Bpf;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// A container as its slot's <see cref="tl_slot_owner"/> record keeps it for the next recorder:
/// identity, times, exit and origin. Times are Unix nanoseconds, kept to the millisecond.
/// </summary>
internal static class SlotOwner
{
    public static unsafe tl_slot_owner Of(RecordedContainer c)
    {
        var owner = new tl_slot_owner
        {
            cgroup_id = c.CgroupId,
            first_seen = ToUnixNs(c.FirstSeen),
            exited = c.ExitedAt is { } exited ? ToUnixNs(exited) : 0,
            since = ToUnixNs(c.RecordingSince),
            exit_status = c.ExitStatus ?? 0,
            main_pid = (uint)(c.MainPid ?? 0),
            origin = c.Origin,
            flags = c.ExitStatus is null ? SlotOwnerFlags.None : SlotOwnerFlags.ExitStatus,
        };
        // A path longer than the field is cut; such a container cannot be named again after a restart.
        byte[] path = Encoding.UTF8.GetBytes(c.CgroupPath);
        int length = Math.Min(path.Length, RecordLayout.PathLength - 1);
        path.AsSpan(0, length).CopyTo(new Span<byte>(owner.path, RecordLayout.PathLength));
        owner.path[length] = 0;
        return owner;
    }

    /// <summary>The container the record describes, without its ring; null when its path names no container.</summary>
    public static RecordedContainer? ToContainer(in tl_slot_owner owner, uint slot, uint kernelMainPid)
    {
        if (PathOf(owner) is not { } path || !CgroupNaming.TryParse(path, out ContainerIdentity? identity))
        {
            return null;
        }
        return new RecordedContainer(owner.cgroup_id, path, identity, FromUnixNs(owner.first_seen),
            owner.origin == 0 ? RecordingOrigin.FirstSyscall : owner.origin, FromUnixNs(owner.since))
        {
            Slot = slot,
            ExitedAt = owner.exited != 0 ? FromUnixNs(owner.exited) : null,
            ExitStatus = (owner.flags & SlotOwnerFlags.ExitStatus) != 0 ? owner.exit_status : null,
            MainPid = owner.main_pid != 0 ? (int)owner.main_pid : kernelMainPid != 0 ? (int)kernelMainPid : null,
        };
    }

    private static unsafe string? PathOf(in tl_slot_owner owner)
    {
        fixed (byte* p = owner.path)
        {
            var bytes = new ReadOnlySpan<byte>(p, RecordLayout.PathLength);
            int end = bytes.IndexOf((byte)0);
            return end <= 0 ? null : Encoding.UTF8.GetString(bytes[..end]);
        }
    }

    private static DateTimeOffset FromUnixNs(ulong ns) => DateTimeOffset.FromUnixTimeMilliseconds((long)(ns / 1_000_000));

    private static ulong ToUnixNs(DateTimeOffset t) => (ulong)t.ToUnixTimeMilliseconds() * 1_000_000;
}
