using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int O_RDONLY = 0;
        // O_DIRECTORY is one of the few open flags whose value differs by architecture
        // (asm-generic 0x10000 on x86-64, 0x4000 on arm64).
        internal static int O_DIRECTORY => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
        internal const int O_CLOEXEC = 0x80000;

        // .NET opens no directory as a file, and a rename is only durable once its directory is synced.
        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeFileHandle open_directory(string path, int flags);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int fsync(SafeFileHandle fd);
    }
}
