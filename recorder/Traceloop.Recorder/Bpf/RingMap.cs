using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Bpf;

/// <summary>
/// One container's ring: a one-element, mmapable BPF array whose value is the ring header, one
/// line per sub-ring and the sub-rings with their overhangs (see bpf/traceloop.h). The kernel
/// writes it; the recorder only maps it read-only while it takes a snapshot.
/// </summary>
internal sealed class RingMap : IDisposable
{
    private RingMap(BpfMap map, RingGeometry geometry, ulong key)
    {
        Map = map;
        Geometry = geometry;
        Key = key;
    }

    public BpfMap Map { get; }

    public RingGeometry Geometry { get; }

    public int RingSize => Geometry.Size;

    public ulong Key { get; }

    public int ValueSize => Geometry.ValueSize;

    /// <summary>Kernel memory the ring pins, rounded to pages as the kernel allocates it.</summary>
    public long KernelBytes => Geometry.KernelBytes;

    /// <summary>Creates the ring map, or the inner-map template when <paramref name="template"/> is set.</summary>
    public static RingMap Create(RingGeometry geometry, bool template = false)
    {
        int ringSize = geometry.Size;
        if (ringSize <= 0 || (ringSize & (ringSize - 1)) != 0 || geometry.SubRings <= 0 || (geometry.SubRings & (geometry.SubRings - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(geometry), "ring size and sub-ring count must be powers of two");
        }
        int valueSize = geometry.ValueSize;
        var opts = new Interop.Libbpf.bpf_map_create_opts
        {
            sz = (nuint)Marshal.SizeOf<Interop.Libbpf.bpf_map_create_opts>(),
            map_flags = Interop.Libbpf.BPF_F_MMAPABLE,
        };
        int fd = Interop.Libbpf.bpf_map_create(Interop.Libbpf.BPF_MAP_TYPE_ARRAY, template ? "tl_ring_tmpl" : "tl_ring",
            sizeof(uint), (uint)valueSize, 1, opts);
        if (fd < 0)
        {
            throw BpfException.FromErrno($"creating a {ringSize >> 10} KiB ring buffer", Marshal.GetLastPInvokeError());
        }
        var map = new BpfMap("tl_ring", new SafeFileHandle(fd, ownsHandle: true));
        ulong key = template ? 0 : RandomKey();
        var ring = new RingMap(map, geometry, key);
        if (!template)
        {
            ring.Initialize();
        }
        return ring;
    }

    /// <summary>
    /// Opens the ring pinned for a slot by a previous recorder, its key and size read from its
    /// header. Null when there is none, or when it is not a ring split as <paramref name="geometry"/>.
    /// </summary>
    public static unsafe RingMap? OpenPinned(KernelPins pins, uint slot, RingGeometry geometry)
    {
        SafeFileHandle? fd = pins.Get("rings", slot.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (fd is null)
        {
            return null;
        }
        var map = new BpfMap("tl_ring", fd);
        if (map.Info().value_size != (uint)geometry.ValueSize)
        {
            map.Dispose();
            return null;
        }
        var ring = new RingMap(map, geometry, 0);
        using (SafeMmapHandle mapping = ring.MapReadOnly())
        {
            tl_ring_hdr hdr = *(tl_ring_hdr*)mapping.DangerousGetHandle();
            if (hdr.size != (ulong)geometry.Size || hdr.nsub != (uint)geometry.SubRings || hdr.sub_size != (ulong)geometry.SubRingSize)
            {
                map.Dispose();
                return null;
            }
            return new RingMap(map, geometry, hdr.key);
        }
    }

    private static unsafe ulong RandomKey()
    {
        ulong key;
        if (Interop.Libc.getrandom(&key, sizeof(ulong), 0) != sizeof(ulong))
        {
            throw BpfException.FromErrno("drawing a ring key from getrandom", Marshal.GetLastPInvokeError());
        }
        return key;
    }

    private void Initialize()
    {
        // The headers are set through the map-update syscall, before the ring is published
        // to the kernel programs, so no writer ever sees a sub-ring without its key. Each
        // sub-ring draws its own key: a record of one cannot pass for a record of another,
        // though their positions overlap.
        var value = new byte[ValueSize];
        var hdr = new tl_ring_hdr
        {
            key = Key,
            size = (ulong)RingSize,
            nsub = (uint)Geometry.SubRings,
            sub_size = (ulong)Geometry.SubRingSize,
        };
        MemoryMarshal.Write(value, in hdr);
        for (int i = 0; i < Geometry.SubRings; i++)
        {
            var sub = new tl_sub_hdr { key = RandomKey() };
            MemoryMarshal.Write(value.AsSpan(RecordLayout.RingHeaderSize + i * RecordLayout.SubRingHeaderSize), in sub);
        }
        Map.UpdateRaw(0u, value);
    }

    /// <summary>Maps the ring read-only; dispose the result to unmap.</summary>
    public SafeMmapHandle MapReadOnly()
    {
        nuint length = (nuint)KernelBytes;
        nint address = Interop.Libc.mmap(0, length, Interop.Libc.PROT_READ, Interop.Libc.MAP_SHARED, Map.Fd, 0);
        if (address == Interop.Libc.MAP_FAILED)
        {
            throw BpfException.FromErrno("mapping a ring buffer", Marshal.GetLastPInvokeError());
        }
        return new SafeMmapHandle(address, length);
    }

    public void Dispose() => Map.Dispose();
}
