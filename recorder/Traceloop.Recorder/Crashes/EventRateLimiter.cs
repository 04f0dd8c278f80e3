namespace Traceloop.Recorder.Crashes;

/// <summary>
/// At most one announcement per key (a container identity) per interval: the first goes out at
/// once, the ones after it within the interval are held back and go out together, as one with
/// their count, when the interval is over. A crash-looping container so costs the API server
/// one Event per interval however fast it crashes, and no dump goes unannounced.
/// </summary>
internal sealed class EventRateLimiter<T>(TimeSpan interval, int maxKeys = 4096)
{
    private sealed class State
    {
        public DateTimeOffset LastSent;
        public int Held;
        public T? Latest;
        public DateTimeOffset FirstHeld;
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<string, State> _keys = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="item"/> may be announced now; otherwise it is held for <see cref="Due"/>.</summary>
    public bool Offer(string key, T item, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_keys.TryGetValue(key, out State? s))
            {
                Forget(now);
                _keys[key] = new State { LastSent = now };
                return true;
            }
            if (s.Held == 0 && now - s.LastSent >= interval)
            {
                s.LastSent = now;
                return true;
            }
            if (s.Held++ == 0)
            {
                s.FirstHeld = now;
            }
            s.Latest = item;
            return false;
        }
    }

    /// <summary>The held announcements whose interval is over: per key, how many, the first held time and the latest item.</summary>
    public List<(string Key, int Count, DateTimeOffset Since, T Latest)> Due(DateTimeOffset now)
    {
        var due = new List<(string, int, DateTimeOffset, T)>();
        lock (_gate)
        {
            foreach ((string key, State s) in _keys)
            {
                if (s.Held > 0 && now - s.LastSent >= interval)
                {
                    due.Add((key, s.Held, s.FirstHeld, s.Latest!));
                    s.Held = 0;
                    s.Latest = default;
                    s.LastSent = now;
                }
            }
        }
        return due;
    }

    /// <summary>Keys quiet for a whole interval carry no state worth keeping; the table stays bounded.</summary>
    private void Forget(DateTimeOffset now)
    {
        if (_keys.Count < maxKeys)
        {
            return;
        }
        foreach (string key in _keys.Where(kv => kv.Value.Held == 0 && now - kv.Value.LastSent >= interval).Select(kv => kv.Key).ToList())
        {
            _keys.Remove(key);
        }
        if (_keys.Count >= maxKeys)
        {
            _keys.Remove(_keys.MinBy(kv => kv.Value.LastSent).Key);
        }
    }
}
