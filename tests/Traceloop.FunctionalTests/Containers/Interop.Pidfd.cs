using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Traceloop.FunctionalTests.Containers;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // Generic syscall numbers: the same on x86_64 and arm64. glibc has wrappers only since 2.36.
        private const long SYS_pidfd_send_signal = 424;
        private const long SYS_pidfd_open = 434;

        internal const int P_PIDFD = 3;
        internal const int WEXITED = 4;
        internal const int CLD_EXITED = 1;
        internal const int CLD_KILLED = 2;
        internal const int CLD_DUMPED = 3;

        // The SIGCHLD view of siginfo_t on 64-bit Linux: the union starts at offset 16 because it holds pointers.
        [StructLayout(LayoutKind.Explicit, Size = 128)]
        internal struct siginfo_t
        {
            [FieldOffset(0)] public int si_signo;
            [FieldOffset(4)] public int si_errno;
            [FieldOffset(8)] public int si_code;
            [FieldOffset(16)] public int si_pid;
            [FieldOffset(20)] public uint si_uid;
            [FieldOffset(24)] public int si_status;
        }

        [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
        private static partial long syscall_pidfd_open(long number, int pid, uint flags);

        [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
        private static partial long syscall_pidfd_send_signal(long number, int pidfd, int sig, nint info, uint flags);

        [LibraryImport(LibraryName, SetLastError = true)]
        private static unsafe partial int waitid(int idtype, uint id, siginfo_t* infop, int options);

        internal static SafeFileHandle PidfdOpen(int pid)
        {
            long fd = syscall_pidfd_open(SYS_pidfd_open, pid, 0);
            if (fd < 0)
            {
                throw new InvalidOperationException($"pidfd_open({pid}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
            return new SafeFileHandle((nint)fd, ownsHandle: true);
        }

        /// <returns>false when the process has already been reaped.</returns>
        internal static bool PidfdSendSignal(SafeFileHandle pidfd, int signal)
        {
            bool added = false;
            try
            {
                pidfd.DangerousAddRef(ref added);
                if (syscall_pidfd_send_signal(SYS_pidfd_send_signal, (int)pidfd.DangerousGetHandle(), signal, 0, 0) == 0)
                {
                    return true;
                }
                int errno = Marshal.GetLastPInvokeError();
                return errno == ESRCH
                    ? false
                    : throw new InvalidOperationException($"pidfd_send_signal({signal}) failed: errno {errno}");
            }
            finally
            {
                if (added)
                {
                    pidfd.DangerousRelease();
                }
            }
        }

        /// <summary>Blocks until the child behind <paramref name="pidfd"/> exits and reaps it.</summary>
        /// <remarks>waitid(P_PIDFD) only reaps children of the caller (kernel 5.4+).</remarks>
        internal static unsafe siginfo_t WaitPidfdExited(SafeFileHandle pidfd)
        {
            bool added = false;
            try
            {
                // The reference keeps a concurrent Dispose from closing (and the fd number being reused) while blocked.
                pidfd.DangerousAddRef(ref added);
                siginfo_t info = default;
                while (waitid(P_PIDFD, (uint)pidfd.DangerousGetHandle(), &info, WEXITED) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != EINTR)
                    {
                        throw new InvalidOperationException($"waitid(P_PIDFD) failed: errno {errno}");
                    }
                }
                return info;
            }
            finally
            {
                if (added)
                {
                    pidfd.DangerousRelease();
                }
            }
        }
    }
}
