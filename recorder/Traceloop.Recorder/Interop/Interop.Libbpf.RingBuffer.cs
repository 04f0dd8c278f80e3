using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static unsafe partial SafeRingBufferHandle ring_buffer__new(int map_fd, delegate* unmanaged<nint, void*, nuint, int> sample_cb, nint ctx, nint opts);

        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static partial int ring_buffer__poll(SafeRingBufferHandle rb, int timeout_ms);

        [LibraryImport(Libraries.Libbpf)]
        internal static partial void ring_buffer__free(nint rb);
    }
}
