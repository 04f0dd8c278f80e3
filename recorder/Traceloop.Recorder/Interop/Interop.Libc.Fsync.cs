using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int O_RDONLY = 0;
        internal const int O_DIRECTORY = 0x10000;
        internal const int O_CLOEXEC = 0x80000;

        // .NET opens no directory as a file, and a rename is only durable once its directory is synced.
        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeFileHandle open_directory(string path, int flags);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int fsync(SafeFileHandle fd);
    }
}
