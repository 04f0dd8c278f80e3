using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int O_NONBLOCK = 0x800;

        // O_NOFOLLOW is one of the few open flags whose value differs between the x86-64 and the
        // generic (arm64) headers: 0400000 there, 0100000 here.
        internal static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

        internal const int ENOENT = 2;
        internal const int ELOOP = 40;

        internal const int AT_FDCWD = -100;
        internal const int AT_SYMLINK_NOFOLLOW = 0x100;
        internal const int AT_EMPTY_PATH = 0x1000;

        internal const uint STATX_TYPE = 0x1;
        internal const uint STATX_SIZE = 0x200;

        internal const int S_IFMT = 0xf000;
        internal const int S_IFREG = 0x8000;
        internal const int S_IFDIR = 0x4000;
        internal const int S_IFLNK = 0xa000;
        internal const int S_IFIFO = 0x1000;
        internal const int S_IFSOCK = 0xc000;
        internal const int S_IFCHR = 0x2000;
        internal const int S_IFBLK = 0x6000;

        // struct statx (linux/stat.h): unlike struct stat, one layout on every architecture.
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        internal struct statx_buffer
        {
            [FieldOffset(0)] public uint stx_mask;
            [FieldOffset(28)] public ushort stx_mode;
            [FieldOffset(40)] public ulong stx_size;
        }

        [LibraryImport(Libraries.Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeFileHandle open(string path, int flags);

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int statx(int dirfd, string pathname, int flags, uint mask, out statx_buffer statxbuf);

        [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int fstatx(SafeFileHandle fd, string pathname, int flags, uint mask, out statx_buffer statxbuf);
    }
}
