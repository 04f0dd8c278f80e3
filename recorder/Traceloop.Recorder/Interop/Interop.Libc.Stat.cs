using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        // struct stat as glibc lays it out on x86-64 and arm64 (64-bit inode first in both).
        [StructLayout(LayoutKind.Sequential)]
        internal struct StatBuffer
        {
            public ulong st_dev;
            public ulong st_ino;
            private fixed_padding _rest;

            [StructLayout(LayoutKind.Sequential, Size = 128)]
            private struct fixed_padding;
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int stat(string path, out StatBuffer buf);
    }
}
