using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>Pins a map, program or link file descriptor at a path in a bpffs: it then lives until the path is unlinked.</summary>
        [LibraryImport(Libraries.Libbpf, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int bpf_obj_pin(int fd, string pathname);

        /// <summary>Opens what is pinned at a path; returns a new file descriptor, or -1 with errno set.</summary>
        [LibraryImport(Libraries.Libbpf, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int bpf_obj_get(string pathname);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial int bpf_link__fd(SafeBpfLinkHandle link);

        /// <summary>Pops from a queue map (the key is NULL).</summary>
        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial int bpf_map_lookup_and_delete_elem(SafeFileHandle fd, void* key, void* value);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial int bpf_obj_get_info_by_fd(SafeFileHandle fd, void* info, uint* info_len);

        /// <summary>The head of the kernel's struct bpf_map_info (uapi/linux/bpf.h); the kernel fills what the length covers.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct bpf_map_info
        {
            public uint type;
            public uint id;
            public uint key_size;
            public uint value_size;
            public uint max_entries;
            public uint map_flags;
            public fixed byte name[16];
        }
    }
}
