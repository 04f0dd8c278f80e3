using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>enum bpf_attach_type's BPF_PERF_EVENT: a kprobe-type program on a perf event (a uprobe here).</summary>
        internal const int BPF_PERF_EVENT = 41;

        /// <summary>
        /// Makes a BPF link of a program to a target (for BPF_PERF_EVENT, a perf event's fd); returns
        /// the link's fd, or -errno. The link holds the program and the event: closing the link's fd
        /// (the last one) detaches it and releases the event.
        /// </summary>
        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static partial int bpf_link_create(int prog_fd, int target_fd, int attach_type, nint opts);

        /// <summary>The fd of a loaded program of an object; the object owns it.</summary>
        [LibraryImport(Libraries.Libbpf)]
        internal static partial int bpf_program__fd(nint prog);
    }
}
