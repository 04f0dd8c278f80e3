using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int CLOCK_REALTIME = 0;
        internal const int CLOCK_BOOTTIME = 7;

        [StructLayout(LayoutKind.Sequential)]
        internal struct timespec
        {
            public long tv_sec;
            public long tv_nsec;
        }

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int clock_gettime(int clockid, out timespec tp);
    }
}
