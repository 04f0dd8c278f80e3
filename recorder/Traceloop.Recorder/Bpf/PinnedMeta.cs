using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Traceloop.Recorder.Bpf;

/// <summary>
/// What a pinned state is (<see cref="tl_meta"/>), and whether this recorder may take it over.
/// Taking over means reading rings that other programs wrote with other settings, so it is all or
/// nothing: the record format, the set of maps, and a hash of the programs and every setting they
/// were loaded with must all be what this recorder would load itself. Anything else is discarded,
/// never read: a ring of another format would decode as garbage.
/// </summary>
internal static class PinnedMeta
{
    public static unsafe tl_meta Expected(byte[] image, KernelProbesConfig config)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(image);
        var word = new byte[8];
        void Add(long value)
        {
            BitConverter.TryWriteBytes(word, value);
            hash.AppendData(word);
        }
        Add(config.RingSize);
        Add(config.Rings.SubRings);
        Add(config.MaxSlots);
        Add(config.MaxCgroups);
        Add(config.MaxString);
        Add(config.MaxBytes);
        Add(config.MaxTlsBytes);
        Add(config.MaxArgv);
        Add(config.CgroupSubsys);
        Add(config.HierarchyId);
        Add(config.Triggers.OomVictim ? 1 : 0);
        Add(config.Triggers.FatalSignals ? 1 : 0);
        Add(config.Metrics ? 1 : 0);
        Add(config.MetricsSeries);
        foreach ((int nr, int errno) in config.Triggers.WatchedErrors ?? [])
        {
            Add(((long)nr << 32) | (uint)errno);
        }
        Add(-1);
        foreach ((int nr, tl_syscall_captures plan) in config.Captures.OrderBy(c => c.Key))
        {
            Add(nr);
            tl_syscall_captures copy = plan;
            hash.AppendData(new ReadOnlySpan<byte>(&copy, sizeof(tl_syscall_captures)));
        }
        var meta = new tl_meta
        {
            format_version = RecordLayout.FormatVersion,
            state_version = RecordLayout.StateVersion,
            created = (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000),
            ring_size = (ulong)config.RingSize,
            max_slots = (uint)config.MaxSlots,
        };
        hash.GetHashAndReset().CopyTo(new Span<byte>(meta.build, RecordLayout.MetaBuildLength));
        return meta;
    }

    /// <summary>Null when the pinned state is exactly what <paramref name="expected"/> describes; else why not, as a clause.</summary>
    public static string? Check(KernelPins pins, tl_meta expected, IReadOnlyList<string> maps) => Check(pins, expected, maps, out _);

    /// <param name="found">The pinned meta, when it could be read whole (same state version).</param>
    public static string? Check(KernelPins pins, tl_meta expected, IReadOnlyList<string> maps, out tl_meta? found)
    {
        found = null;
        foreach (string name in maps)
        {
            using var probe = pins.Get("maps", name);
            if (probe is null)
            {
                return $"it lacks the map {name} (an incomplete or foreign state)";
            }
        }
        if (pins.List("links").Count == 0)
        {
            return "no program of it is attached";
        }
        using var metaMap = new BpfMap("meta", pins.Get("maps", "meta")!);
        Interop.Libbpf.bpf_map_info info = metaMap.Info();
        if (info.value_size < 8)
        {
            return "its meta map is not one this recorder knows";
        }
        tl_meta pinned;
        if (info.value_size == (uint)Marshal.SizeOf<tl_meta>())
        {
            if (!metaMap.TryLookup(0u, out pinned))
            {
                return "its meta map is empty";
            }
            found = pinned;
        }
        else
        {
            // Another state version: its first two words still say which, and that is all we read.
            var raw = new byte[info.value_size];
            if (!metaMap.TryLookupRaw(0u, raw))
            {
                return "its meta map is empty";
            }
            pinned = new tl_meta { format_version = BitConverter.ToUInt32(raw, 0), state_version = BitConverter.ToUInt32(raw, 4) };
        }
        return Compare(pinned, expected);
    }

    /// <summary>True when a recorder expecting <paramref name="expected"/> can read the rings of <paramref name="found"/>, though not take them over.</summary>
    public static bool Readable(tl_meta found, tl_meta expected) =>
        found.format_version == expected.format_version && found.state_version == expected.state_version && found.ring_size is > 0 and <= int.MaxValue;

    /// <summary>Null when <paramref name="found"/> may be taken over by a recorder that expects <paramref name="expected"/>.</summary>
    public static unsafe string? Compare(tl_meta found, tl_meta expected)
    {
        if (found.format_version != expected.format_version)
        {
            return $"its rings hold record format {found.format_version} and this recorder reads format {expected.format_version}";
        }
        if (found.state_version != expected.state_version)
        {
            return $"its maps are state version {found.state_version} and this recorder knows version {expected.state_version}";
        }
        if (found.ring_size != expected.ring_size || found.max_slots != expected.max_slots)
        {
            return $"its rings are {found.ring_size >> 10} KiB in {found.max_slots} slots and this recorder is set to {expected.ring_size >> 10} KiB in {expected.max_slots}";
        }
        if (!new ReadOnlySpan<byte>(found.build, RecordLayout.MetaBuildLength).SequenceEqual(new ReadOnlySpan<byte>(expected.build, RecordLayout.MetaBuildLength)))
        {
            return "it was loaded from other programs or with other capture or trigger settings";
        }
        return null;
    }
}
