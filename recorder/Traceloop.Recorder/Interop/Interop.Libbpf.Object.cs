using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        // libbpf 1.x: pointer-returning calls return NULL and set errno; int-returning calls
        // return -errno (and set errno too).
        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial SafeBpfObjectHandle bpf_object__open_mem(byte* obj_buf, nuint obj_buf_sz, nint opts);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static partial int bpf_object__load(SafeBpfObjectHandle obj);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial void bpf_object__close(nint obj);

        [LibraryImport(Libraries.Libbpf, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint bpf_object__find_map_by_name(SafeBpfObjectHandle obj, string name);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial nint bpf_object__next_program(SafeBpfObjectHandle obj, nint prev);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial nint bpf_program__name(nint prog);

        [LibraryImport(Libraries.Libbpf, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint bpf_object__find_program_by_name(SafeBpfObjectHandle obj, string name);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial int bpf_program__set_autoload(nint prog, [MarshalAs(UnmanagedType.U1)] bool autoload);

        [LibraryImport(Libraries.Libbpf)]
        [return: MarshalAs(UnmanagedType.U1)]
        internal static partial bool bpf_program__autoload(nint prog);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static partial SafeBpfLinkHandle bpf_program__attach(nint prog);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial int bpf_link__destroy(nint link);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial nint bpf_object__next_map(SafeBpfObjectHandle obj, nint prev);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial nint bpf_map__name(nint map);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial int bpf_map__fd(nint map);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial int bpf_map__set_max_entries(nint map, uint max_entries);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial int bpf_map__set_inner_map_fd(nint map, int fd);

        [LibraryImport(Libraries.Libbpf)]
        internal static unsafe partial int bpf_map__set_initial_value(nint map, void* data, nuint size);

        [LibraryImport(Libraries.Libbpf)]
        internal static unsafe partial nint libbpf_set_print(delegate* unmanaged<int, byte*, nint, int> fn);
    }
}
