using System.Globalization;
using System.Text.Json.Nodes;

namespace Traceloop.FunctionalTests.Kubernetes;

/// <summary>The API server asked for a resource version older than its history.</summary>
public sealed class ResourceExpiredException(long requested, long oldest) : Exception($"too old resource version: {requested} ({oldest})")
{
    public long Requested { get; } = requested;

    public long Oldest { get; } = oldest;
}

/// <summary>
/// The fake API server's storage: pods and events under one resource version counter (as etcd
/// has one revision for everything), the history of pod changes that watches replay, and the
/// open watches that new changes are sent to.
/// </summary>
public sealed class PodStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Namespace, string Name), JsonObject> _pods = [];
    private readonly List<(long Rv, string Type, JsonObject? Old, JsonObject New)> _history = [];
    private readonly List<WatchSubscription> _watches = [];
    private readonly List<JsonObject> _events = [];
    private long _rv = 100;
    private long _compacted = 100;

    /// <summary>
    /// While set, changes go into the history but not to open watches: a gap in what a client
    /// saw, to be followed by a compaction or a dropped watch (a new watch replays the history).
    /// </summary>
    public bool HoldWatchEvents { get; set; }

    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _rv;
            }
        }
    }

    public IReadOnlyList<WatchSubscription> OpenWatches
    {
        get
        {
            lock (_gate)
            {
                return [.. _watches];
            }
        }
    }

    /// <summary>Events created through POST .../events, as stored (with uid and resourceVersion).</summary>
    public IReadOnlyList<JsonObject> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events.Select(e => (JsonObject)e.DeepClone())];
            }
        }
    }

    public JsonObject Add(JsonObject pod)
    {
        lock (_gate)
        {
            var key = Key(pod);
            if (_pods.ContainsKey(key))
            {
                throw new InvalidOperationException($"pod {key.Namespace}/{key.Name} already exists");
            }
            JsonObject stored = Stamp((JsonObject)pod.DeepClone());
            JsonObject meta = stored["metadata"]!.AsObject();
            meta["namespace"] ??= key.Namespace;
            meta["uid"] ??= Guid.NewGuid().ToString();
            meta["creationTimestamp"] ??= DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            _pods[key] = stored;
            Publish("ADDED", null, stored);
            return (JsonObject)stored.DeepClone();
        }
    }

    /// <summary>Replaces a pod's content (its uid and creation time are kept), as an update by the kubelet or a controller.</summary>
    public JsonObject Update(JsonObject pod) => Modify(Key(pod).Namespace, Key(pod).Name, current =>
    {
        JsonObject meta = current["metadata"]!.AsObject();
        JsonNode? uid = meta["uid"]?.DeepClone();
        JsonNode? created = meta["creationTimestamp"]?.DeepClone();
        foreach (string property in current.Select(p => p.Key).ToList())
        {
            current.Remove(property);
        }
        foreach ((string property, JsonNode? value) in pod)
        {
            current[property] = value?.DeepClone();
        }
        current["metadata"]!["uid"] = uid;
        current["metadata"]!["creationTimestamp"] = created;
    });

    public JsonObject Modify(string ns, string name, Action<JsonObject> change)
    {
        lock (_gate)
        {
            JsonObject old = _pods.GetValueOrDefault((ns, name)) ?? throw new KeyNotFoundException($"no pod {ns}/{name}");
            var next = (JsonObject)old.DeepClone();
            change(next);
            Stamp(next);
            _pods[(ns, name)] = next;
            Publish("MODIFIED", old, next);
            return (JsonObject)next.DeepClone();
        }
    }

    public JsonObject Delete(string ns, string name)
    {
        lock (_gate)
        {
            if (!_pods.Remove((ns, name), out JsonObject? old))
            {
                throw new KeyNotFoundException($"no pod {ns}/{name}");
            }
            // The DELETED event carries the object's last state at a new resource version.
            JsonObject last = Stamp((JsonObject)old.DeepClone());
            Publish("DELETED", old, last);
            return (JsonObject)last.DeepClone();
        }
    }

    public JsonObject? Get(string ns, string name)
    {
        lock (_gate)
        {
            return _pods.TryGetValue((ns, name), out JsonObject? pod) ? (JsonObject)pod.DeepClone() : null;
        }
    }

    public (List<JsonObject> Items, long ResourceVersion) List(string? ns, FieldSelector fields, LabelSelector labels)
    {
        lock (_gate)
        {
            var items = _pods.Values
                .Where(p => (ns is null || p["metadata"]!["namespace"]!.GetValue<string>() == ns) && fields.Matches(p) && labels.Matches(p))
                .OrderBy(p => p["metadata"]!["namespace"]!.GetValue<string>(), StringComparer.Ordinal)
                .ThenBy(p => p["metadata"]!["name"]!.GetValue<string>(), StringComparer.Ordinal)
                .Select(p => (JsonObject)p.DeepClone())
                .ToList();
            return (items, _rv);
        }
    }

    /// <summary>
    /// Opens a watch. From "" or "0": synthetic ADDED events for what exists, then changes. From
    /// N: every change after N from the history, then changes; older than the history: 410.
    /// </summary>
    public WatchSubscription Watch(string? ns, FieldSelector fields, LabelSelector labels, bool bookmarks, string? resourceVersion)
    {
        var watch = new WatchSubscription(ns, fields, labels, bookmarks, resourceVersion);
        lock (_gate)
        {
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (JsonObject pod in _pods.Values.Where(watch.Matches))
                {
                    watch.Send("ADDED", pod);
                }
            }
            else
            {
                long from = long.Parse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture);
                if (from < _compacted)
                {
                    throw new ResourceExpiredException(from, _compacted);
                }
                foreach (var change in _history.Where(h => h.Rv > from))
                {
                    Deliver(watch, change.Type, change.Old, change.New);
                }
            }
            _watches.Add(watch);
        }
        return watch;
    }

    internal void Unwatch(WatchSubscription watch)
    {
        lock (_gate)
        {
            _watches.Remove(watch);
        }
    }

    /// <summary>Forgets the history up to now, as etcd's compaction does: watches from before now get 410.</summary>
    /// <param name="expireOpenWatches">Also end every open watch with an ERROR event carrying a 410 Status.</param>
    public void Compact(bool expireOpenWatches = false)
    {
        lock (_gate)
        {
            _compacted = _rv;
            _history.Clear();
            if (!expireOpenWatches)
            {
                return;
            }
            foreach (WatchSubscription watch in _watches)
            {
                long requested = long.TryParse(watch.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out long r) ? r : 0;
                watch.Send("ERROR", ApiStatus.Gone(requested, _compacted));
                watch.Complete();
            }
        }
    }

    /// <summary>Sends a BOOKMARK at the current resource version to every open watch that allowed bookmarks.</summary>
    public void Bookmark()
    {
        lock (_gate)
        {
            var bookmark = new JsonObject
            {
                ["kind"] = "Pod",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(_rv) },
            };
            foreach (WatchSubscription watch in _watches.Where(w => w.Bookmarks))
            {
                watch.Send("BOOKMARK", bookmark);
            }
        }
    }

    /// <summary>Ends every open watch abruptly (no clean end of the response).</summary>
    public int AbortWatches()
    {
        lock (_gate)
        {
            foreach (WatchSubscription watch in _watches)
            {
                watch.Abort();
            }
            int n = _watches.Count;
            _watches.Clear();
            return n;
        }
    }

    /// <summary>Advances the resource version without a pod change (as a change to any other object does).</summary>
    public long Touch()
    {
        lock (_gate)
        {
            return ++_rv;
        }
    }

    public JsonObject CreateEvent(string ns, JsonObject body)
    {
        lock (_gate)
        {
            var stored = (JsonObject)body.DeepClone();
            stored["kind"] = "Event";
            stored["apiVersion"] = "v1";
            var meta = stored["metadata"] as JsonObject ?? [];
            stored["metadata"] = meta;
            meta["namespace"] = ns;
            if (meta["name"] is null && meta["generateName"] is JsonValue prefix)
            {
                meta["name"] = prefix.GetValue<string>() + Guid.NewGuid().ToString("N")[..5];
            }
            meta["uid"] = Guid.NewGuid().ToString();
            meta["resourceVersion"] = Rv(++_rv);
            meta["creationTimestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            _events.Add(stored);
            return (JsonObject)stored.DeepClone();
        }
    }

    private JsonObject Stamp(JsonObject pod)
    {
        pod["kind"] = "Pod";
        pod["apiVersion"] = "v1";
        pod["metadata"]!["resourceVersion"] = Rv(++_rv);
        return pod;
    }

    private void Publish(string type, JsonObject? old, JsonObject next)
    {
        long rv = long.Parse(next["metadata"]!["resourceVersion"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        _history.Add((rv, type, old, next));
        if (HoldWatchEvents)
        {
            return;
        }
        foreach (WatchSubscription watch in _watches)
        {
            Deliver(watch, type, old, next);
        }
    }

    // A selector-filtered watch sees an object enter (ADDED) or leave (DELETED) its selection,
    // as the real watch cache reports it, not the underlying update.
    private static void Deliver(WatchSubscription watch, string type, JsonObject? old, JsonObject next)
    {
        bool was = old is not null && watch.Matches(old);
        bool @is = watch.Matches(next);
        string? sent = type switch
        {
            "DELETED" => was ? "DELETED" : null,
            _ when was && @is => type,
            _ when @is => "ADDED",
            _ when was => "DELETED",
            _ => null,
        };
        if (sent is not null)
        {
            watch.Send(sent, next);
        }
    }

    private static (string Namespace, string Name) Key(JsonObject pod) =>
        (pod["metadata"]?["namespace"]?.GetValue<string>() ?? "default",
         pod["metadata"]?["name"]?.GetValue<string>() ?? throw new ArgumentException("a pod needs metadata.name"));

    private static string Rv(long rv) => rv.ToString(CultureInfo.InvariantCulture);
}
