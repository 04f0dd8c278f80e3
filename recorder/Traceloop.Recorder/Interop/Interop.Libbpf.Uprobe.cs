using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        // struct bpf_uprobe_opts as libbpf 1.1 lays it out. sz says which fields the caller
        // knows, so a newer libbpf (which appended attach_mode) reads only these.
        [StructLayout(LayoutKind.Sequential)]
        internal struct bpf_uprobe_opts
        {
            public nuint sz;
            public nuint ref_ctr_offset;
            public ulong bpf_cookie;
            public byte retprobe;
            public nint func_name;
        }

        /// <summary>
        /// Attaches prog at func_offset bytes into the file binary_path (an offset in the file, not
        /// an address); pid -1 probes every process that maps the file.
        /// </summary>
        [LibraryImport(Libraries.Libbpf, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeBpfLinkHandle bpf_program__attach_uprobe_opts(nint prog, int pid, string binary_path, nuint func_offset, in bpf_uprobe_opts opts);
    }
}
