using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>CPUs the kernel may ever bring up: a per-CPU map's lookup returns one value for each.</summary>
        [LibraryImport(Libraries.Libbpf)]
        internal static partial int libbpf_num_possible_cpus();

        /// <summary>Returns a new descriptor for a loaded program, or -1 with errno.</summary>
        [LibraryImport(Libraries.Libbpf, SetLastError = true)]
        internal static partial int bpf_prog_get_fd_by_id(uint id);

        /// <summary>
        /// The part of the kernel's struct bpf_prog_info (uapi/linux/bpf.h) read here: its run
        /// statistics, which the kernel only keeps while sysctl kernel.bpf_stats_enabled is 1.
        /// The kernel fills what the length covers, so the fields before them are a pad.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 232)]
        internal struct bpf_prog_info
        {
            [FieldOffset(4)] public uint id;
            [FieldOffset(192)] public ulong run_time_ns;
            [FieldOffset(200)] public ulong run_cnt;
        }

        /// <summary>The head of struct bpf_link_info: which program a link runs.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct bpf_link_info
        {
            public uint type;
            public uint id;
            public uint prog_id;
            public uint pad;
            public ulong union0;
            public ulong union1;
        }
    }
}
