using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        private const long SYS_perf_event_open = 298; // x86_64
        private const uint PERF_TYPE_TRACEPOINT = 2;
        private const uint PERF_ATTR_SIZE_VER8 = 136;
        private const ulong PERF_FLAG_FD_CLOEXEC = 8;

        // struct perf_event_attr up to its version-8 size; only the fields a counting tracepoint event needs.
        [StructLayout(LayoutKind.Explicit, Size = 136)]
        private struct perf_event_attr
        {
            [FieldOffset(0)] public uint type;
            [FieldOffset(4)] public uint size;
            [FieldOffset(8)] public ulong config;
        }

        [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
        private static unsafe partial long syscall_perf_event_open(long number, perf_event_attr* attr, int pid, int cpu, int groupFd, ulong flags);

        /// <summary>Counts a tracepoint's hits while <paramref name="pid"/> runs, on any CPU; the count is read as 8 bytes.</summary>
        internal static unsafe SafeFileHandle PerfTracepointCounter(ulong tracepointId, int pid)
        {
            var attr = new perf_event_attr { type = PERF_TYPE_TRACEPOINT, size = PERF_ATTR_SIZE_VER8, config = tracepointId };
            long fd = syscall_perf_event_open(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
            return fd >= 0
                ? new SafeFileHandle((nint)fd, ownsHandle: true)
                : throw new InvalidOperationException($"perf_event_open of tracepoint {tracepointId} for pid {pid}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }
}
