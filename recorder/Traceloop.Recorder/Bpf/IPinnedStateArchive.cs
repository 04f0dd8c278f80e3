namespace Traceloop.Recorder.Bpf;

/// <summary>
/// Keeps what the rings of a pinned state hold before it is discarded: a recorder that cannot take
/// a state over (other programs or settings, same record format) saves each recorded container's
/// ring as a dump instead of dropping it.
/// </summary>
internal interface IPinnedStateArchive
{
    /// <param name="reason">Why the state is being replaced, as a clause.</param>
    /// <returns>How many rings were saved.</returns>
    int Save(IReadOnlyList<PinnedRing> rings, string reason);
}

/// <summary>One ring of a pinned state, with what the recorder that pinned it recorded about its container.</summary>
/// <param name="Entry">The kernel's containers-map entry (events missed before the ring), default when it was released.</param>
internal sealed record PinnedRing(uint Slot, RingMap Ring, tl_slot_owner Owner, tl_container Entry);
