using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>
        /// The head of struct perf_event_attr (uapi/linux/perf_event.h), as far as a uprobe needs
        /// it, padded to PERF_ATTR_SIZE_VER7 (128 bytes): the kernel reads what size says and
        /// wants every byte it knows of but we do not name to be zero, which the padding is.
        /// </summary>
        [StructLayout(LayoutKind.Sequential, Size = PERF_ATTR_SIZE_VER7)]
        internal struct perf_event_attr
        {
            public uint type;
            public uint size;
            public ulong config;
            public ulong sample_period;
            public ulong sample_type;
            public ulong read_format;
            public ulong flags;
            public uint wakeup_events;
            public uint bp_type;

            /// <summary>uprobe_path: a pointer to the file's path, read by the kernel during the call.</summary>
            public ulong config1;

            /// <summary>probe_offset: the offset in the file, not a virtual address.</summary>
            public ulong config2;
        }

        internal const int PERF_ATTR_SIZE_VER7 = 128;
        internal const ulong PERF_FLAG_FD_CLOEXEC = 1 << 3;

        // glibc has no perf_event_open wrapper; syscall(2) takes the number and passes the rest on.
        // syscall is variadic, but glibc's is a register shuffle in assembly that reads no va_list.
        [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        private static unsafe partial long syscall_perf_event_open(long number, perf_event_attr* attr, int pid, int cpu, int group_fd, ulong flags);

        private static long SYS_perf_event_open => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 298,
            Architecture.Arm64 => 241,
            var other => throw new PlatformNotSupportedException($"perf_event_open's number on {other} is not known here"),
        };

        /// <summary>Opens a perf event; an invalid handle with errno set on failure.</summary>
        internal static unsafe SafeFileHandle perf_event_open(perf_event_attr attr, int pid, int cpu, int group_fd, ulong flags)
        {
            long fd = syscall_perf_event_open(SYS_perf_event_open, &attr, pid, cpu, group_fd, flags);
            return new SafeFileHandle((nint)fd, ownsHandle: fd >= 0);
        }
    }
}
