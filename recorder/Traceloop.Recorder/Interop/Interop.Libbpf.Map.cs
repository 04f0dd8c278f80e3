using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        internal const uint BPF_MAP_TYPE_ARRAY = 2;
        internal const uint BPF_F_MMAPABLE = 1 << 10;

        internal const ulong BPF_ANY = 0;
        internal const ulong BPF_NOEXIST = 1;
        internal const ulong BPF_EXIST = 2;

        [StructLayout(LayoutKind.Sequential)]
        internal struct bpf_map_create_opts
        {
            public nuint sz;
            public uint btf_fd;
            public uint btf_key_type_id;
            public uint btf_value_type_id;
            public uint btf_vmlinux_value_type_id;
            public uint inner_map_fd;
            public uint map_flags;
            public ulong map_extra;
            public uint numa_node;
            public uint map_ifindex;
        }

        [LibraryImport(Libraries.Libbpf, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int bpf_map_create(uint map_type, string? map_name, uint key_size, uint value_size, uint max_entries, in bpf_map_create_opts opts);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial int bpf_map_update_elem(SafeFileHandle fd, void* key, void* value, ulong flags);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial int bpf_map_lookup_elem(SafeFileHandle fd, void* key, void* value);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial int bpf_map_delete_elem(SafeFileHandle fd, void* key);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial int bpf_map_get_next_key(SafeFileHandle fd, void* key, void* next_key);
    }
}
