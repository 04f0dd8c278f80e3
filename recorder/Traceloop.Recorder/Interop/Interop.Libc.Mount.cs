using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>f_type of a bpffs (linux/magic.h).</summary>
        internal const long BPF_FS_MAGIC = 0xcafe4a11;

        internal const int LOCK_EX = 2;
        internal const int LOCK_NB = 4;

        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct statfs_buf
        {
            // x86-64 and arm64 struct statfs: f_type first, 120 bytes in all.
            public long f_type;
            public fixed long rest[14];
        }

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int statfs(string path, out statfs_buf buf);

        [LibraryImport(Libraries.Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int mount(string source, string target, string fstype, ulong flags, string? data);

        [LibraryImport(Libraries.Libc, SetLastError = true)]
        internal static partial int flock(SafeFileHandle fd, int operation);
    }
}
