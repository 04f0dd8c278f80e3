using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.Recorder.Bpf;

/// <summary>Typed element operations on a BPF map file descriptor.</summary>
internal sealed class BpfMap : IDisposable
{
    public BpfMap(string name, SafeFileHandle fd)
    {
        Name = name;
        Fd = fd;
    }

    public string Name { get; }

    public SafeFileHandle Fd { get; }

    public int RawFd => (int)Fd.DangerousGetHandle();

    public unsafe void Update<TKey, TValue>(TKey key, TValue value, ulong flags = Interop.Libbpf.BPF_ANY)
        where TKey : unmanaged where TValue : unmanaged
    {
        if (Interop.Libbpf.bpf_map_update_elem(Fd, &key, &value, flags) != 0)
        {
            throw BpfException.FromErrno($"updating BPF map {Name}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Writes a value given as raw bytes (for values larger than any struct, like a ring).</summary>
    public unsafe void UpdateRaw<TKey>(TKey key, ReadOnlySpan<byte> value, ulong flags = Interop.Libbpf.BPF_ANY)
        where TKey : unmanaged
    {
        fixed (byte* v = value)
        {
            if (Interop.Libbpf.bpf_map_update_elem(Fd, &key, v, flags) != 0)
            {
                throw BpfException.FromErrno($"updating BPF map {Name}", Marshal.GetLastPInvokeError());
            }
        }
    }

    public unsafe bool TryLookup<TKey, TValue>(TKey key, out TValue value)
        where TKey : unmanaged where TValue : unmanaged
    {
        TValue v = default;
        if (Interop.Libbpf.bpf_map_lookup_elem(Fd, &key, &v) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT)
            {
                value = default;
                return false;
            }
            throw BpfException.FromErrno($"reading BPF map {Name}", errno);
        }
        value = v;
        return true;
    }

    /// <summary>Reads a value into raw bytes sized to the map's value size (see <see cref="Info"/>).</summary>
    public unsafe bool TryLookupRaw<TKey>(TKey key, Span<byte> value) where TKey : unmanaged
    {
        fixed (byte* v = value)
        {
            if (Interop.Libbpf.bpf_map_lookup_elem(Fd, &key, v) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.ENOENT)
                {
                    return false;
                }
                throw BpfException.FromErrno($"reading BPF map {Name}", errno);
            }
        }
        return true;
    }

    public unsafe bool Delete<TKey>(TKey key) where TKey : unmanaged
    {
        if (Interop.Libbpf.bpf_map_delete_elem(Fd, &key) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT)
            {
                return false;
            }
            throw BpfException.FromErrno($"deleting from BPF map {Name}", errno);
        }
        return true;
    }

    /// <summary>Pushes onto a BPF_MAP_TYPE_QUEUE (queues take no key).</summary>
    public unsafe void Push<TValue>(TValue value) where TValue : unmanaged
    {
        if (Interop.Libbpf.bpf_map_update_elem(Fd, null, &value, Interop.Libbpf.BPF_ANY) != 0)
        {
            throw BpfException.FromErrno($"pushing onto BPF queue {Name}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Pops from a BPF_MAP_TYPE_QUEUE; false when it is empty.</summary>
    public unsafe bool TryPop<TValue>(out TValue value) where TValue : unmanaged
    {
        TValue v = default;
        if (Interop.Libbpf.bpf_map_lookup_and_delete_elem(Fd, null, &v) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT)
            {
                value = default;
                return false;
            }
            throw BpfException.FromErrno($"popping from BPF queue {Name}", errno);
        }
        value = v;
        return true;
    }

    /// <summary>The kernel's description of the map: its id and its key and value sizes.</summary>
    public unsafe Interop.Libbpf.bpf_map_info Info()
    {
        Interop.Libbpf.bpf_map_info info = default;
        uint length = (uint)sizeof(Interop.Libbpf.bpf_map_info);
        if (Interop.Libbpf.bpf_obj_get_info_by_fd(Fd, &info, &length) != 0)
        {
            throw BpfException.FromErrno($"reading the description of BPF map {Name}", Marshal.GetLastPInvokeError());
        }
        return info;
    }

    public unsafe List<TKey> Keys<TKey>() where TKey : unmanaged
    {
        var keys = new List<TKey>();
        TKey next;
        TKey* prev = null;
        TKey current = default;
        while (Interop.Libbpf.bpf_map_get_next_key(Fd, prev, &next) == 0)
        {
            keys.Add(next);
            current = next;
            prev = &current;
        }
        return keys;
    }

    public void Dispose() => Fd.Dispose();
}

internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
}
