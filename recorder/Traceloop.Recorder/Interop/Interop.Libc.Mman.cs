using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int PROT_READ = 0x1;
        internal const int PROT_WRITE = 0x2;
        internal const int MAP_SHARED = 0x01;
        internal static readonly nint MAP_FAILED = -1;

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial nint mmap(nint addr, nuint length, int prot, int flags, SafeFileHandle fd, nint offset);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int munmap(nint addr, nuint length);
    }
}
