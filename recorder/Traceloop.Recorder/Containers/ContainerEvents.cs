using System.Threading.Channels;

namespace Traceloop.Recorder.Containers;

/// <summary>
/// Hands what the kernel says about recorded containers to every consumer that subscribed:
/// each subscription is a bounded channel of its own, so a slow consumer drops (and counts) its
/// own notices without holding up the control thread or the other consumers. Consumers subscribe
/// when they are constructed; the control channel starts reading the kernel once the host has
/// constructed its services, so no notice is published before the subscribers exist.
/// </summary>
internal sealed class ContainerEvents
{
    private readonly Lock _gate = new();
    private ContainerEventSubscription[] _subscriptions = [];

    /// <summary>A new subscription that holds up to <paramref name="capacity"/> notices not yet read.</summary>
    /// <param name="holdsContainers">
    /// Each notice queued marks its container as awaited (<see cref="RecordedContainer.AwaitedNotices"/>)
    /// until the consumer calls <see cref="ContainerEventSubscription.Handled"/>: the registry does not
    /// evict or sweep an awaited container's ring, so a crash notice still queued is not left with nothing to save.
    /// </param>
    public ContainerEventSubscription Subscribe(int capacity, bool holdsContainers = false)
    {
        var subscription = new ContainerEventSubscription(capacity, holdsContainers);
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions, subscription];
        }
        return subscription;
    }

    /// <summary>Called on the control thread; never blocks.</summary>
    public void Publish(in ContainerNotice notice)
    {
        foreach (ContainerEventSubscription s in Volatile.Read(ref _subscriptions))
        {
            s.Offer(notice);
        }
    }
}

/// <summary>One consumer's notices, oldest first; the ones that did not fit are counted.</summary>
internal sealed class ContainerEventSubscription
{
    private readonly Channel<ContainerNotice> _channel;
    private readonly bool _holdsContainers;
    private long _dropped;
    private long _droppedTotal;

    internal ContainerEventSubscription(int capacity, bool holdsContainers = false)
    {
        _holdsContainers = holdsContainers;
        _channel = Channel.CreateBounded<ContainerNotice>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            // Wait, not DropWrite: with the Drop modes TryWrite reports success for a notice it
            // threw away, so nothing could count it. TryWrite never waits in any mode.
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ChannelReader<ContainerNotice> Reader => _channel.Reader;

    /// <summary>Notices dropped since the last call: the consumer fell behind.</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    /// <summary>Notices dropped since the subscription was made.</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    /// <summary>Puts a notice back for later (the crash collector defers an OOM victim this way).</summary>
    public bool Requeue(in ContainerNotice notice) => Write(notice);

    /// <summary>The consumer is done with a notice it read: its container may be evicted again.</summary>
    public void Handled(in ContainerNotice notice)
    {
        if (_holdsContainers)
        {
            notice.Container.EndAwait();
        }
    }

    internal void Offer(in ContainerNotice notice)
    {
        if (!Write(notice))
        {
            Interlocked.Increment(ref _dropped);
            Interlocked.Increment(ref _droppedTotal);
        }
    }

    private bool Write(in ContainerNotice notice)
    {
        // Marked before it is written: the reader may take and finish it at once.
        if (_holdsContainers)
        {
            notice.Container.BeginAwait();
        }
        if (_channel.Writer.TryWrite(notice))
        {
            return true;
        }
        if (_holdsContainers)
        {
            notice.Container.EndAwait();
        }
        return false;
    }
}
